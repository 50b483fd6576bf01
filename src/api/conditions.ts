import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from './schema-helpers.js';

export const ConditionSchema = Type.Object({
  type: Type.String({ description: 'Ready, Synced or Drifted.' }),
  status: StringEnum(['True', 'False', 'Unknown'] as const, { description: 'True, False or Unknown.' }),
  reason: Type.String({ description: 'A CamelCase reason.' }),
  message: Type.String({ description: 'A human-readable explanation.' }),
  lastTransitionTime: Type.String({ format: 'date-time', description: 'When status last changed.' }),
  observedGeneration: Type.Optional(
    Type.Integer({ minimum: 0, description: 'The metadata.generation this condition was set for.' }),
  ),
});
export type Condition = Static<typeof ConditionSchema>;

export const ConditionsSchema = Type.Array(ConditionSchema, {
  description:
    'Ready: usable now. Synced: the last reconcile succeeded. Drifted: the cloud differs from spec.',
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
});

export const DriftSchema = Type.Object({
  field: Type.String({ description: 'Which cloud field differs, e.g. trustPolicy.Statement[0].Condition.' }),
  wanted: Type.String({ description: 'What spec asks for.' }),
  found: Type.String({ description: 'What the cloud holds.' }),
});
export type Drift = Static<typeof DriftSchema>;

export const DriftListSchema = Type.Array(DriftSchema, {
  description: 'Fields that differ between spec and the cloud, with the wanted and the found value.',
  maxItems: 64,
});

/** `status.observedGeneration`, on every kind. */
export const ObservedGenerationSchema = Type.Integer({
  description: 'The metadata.generation the operator last reconciled.',
});

export const ConditionType = {
  Ready: 'Ready',
  Synced: 'Synced',
  Drifted: 'Drifted',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

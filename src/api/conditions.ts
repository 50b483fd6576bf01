import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from './schema-helpers.js';

export const ConditionSchema = Type.Object({
  type: Type.String({
    description:
      'Ready, Synced, Drifted, Reconciling, Stalled, Unused (usage review) or UsageReviewed (CloudAccount).',
  }),
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
    "Ready: usable now. Synced: the last reconcile succeeded. Drifted: the cloud differs from spec. Reconciling (only while True): Keyless is still working toward the spec. Stalled (only while True): Keyless cannot get there until something else changes (the spec, the account, the cloud). Unused (abnormal-true): the usage review found the identity or grants unused for longer than the account's review.unusedAfter. UsageReviewed (CloudAccount): whether usage reviews can read the cloud's record.",
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

/**
 * `status.observedGeneration`, on every kind: the generation the status describes. Its default
 * gives a new object 0 until Keyless first reconciles it, so kstatus reads it as InProgress.
 */
export const ObservedGenerationSchema = Type.Integer({
  minimum: 0,
  default: 0,
  description:
    'The metadata.generation this status describes; 0 until Keyless first reconciles the object, so kstatus reads a new object as InProgress.',
});

/** `status.lastHandledReconcileAt`, on every kind. */
export const LastHandledReconcileAtSchema = Type.String({
  maxLength: 256,
  description: 'The value of the annotation keyless.dev/reconcile-requested-at that Keyless last answered.',
});

export const ConditionType = {
  Ready: 'Ready',
  Synced: 'Synced',
  Drifted: 'Drifted',
  Reconciling: 'Reconciling',
  Stalled: 'Stalled',
  /** Abnormal-true: the usage review found the identity or grants unused (WorkloadIdentity, IdentityBinding). */
  Unused: 'Unused',
  /** CloudAccount: whether its identities' usage reviews can read the cloud's record. */
  UsageReviewed: 'UsageReviewed',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

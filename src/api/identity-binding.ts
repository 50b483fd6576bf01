import { type Static, Type } from '@sinclair/typebox';
import { ACCESS_LEVELS } from './cloud-account.js';
import {
  ConditionsSchema,
  DriftListSchema,
  LastHandledReconcileAtSchema,
  ObservedGenerationSchema,
} from './conditions.js';
import type { KubeObject } from './object-meta.js';
import {
  CANONICAL_PATH_RULES,
  DNS_SUBDOMAIN_PATTERN,
  Duration,
  described,
  GRANT_DURATION,
  IAM_ACTION_PATTERN,
  StringEnum,
  withRules,
} from './schema-helpers.js';
import { BindingUsageSchema } from './usage.js';

const GrantSchema = withRules(
  Type.Object({
    resource: withRules(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description: 'An AWS ARN (or *), a Google Cloud full resource name, or an Azure resource ID.',
      }),
      [
        {
          rule: "self == '*' || self.startsWith('arn:') || self.startsWith('//') || self.startsWith('/subscriptions/')",
          message:
            'resource must be an AWS ARN (arn:...) or *, a Google Cloud full resource name (//SERVICE/...) or an Azure resource ID (/subscriptions/...)',
        },
        ...CANONICAL_PATH_RULES,
      ],
    ),
    access: Type.Optional(
      StringEnum(ACCESS_LEVELS, { description: 'Cloud-neutral access, from the catalogue.' }),
    ),
    actions: Type.Optional(
      Type.Array(
        withRules(Type.String({ minLength: 1, maxLength: 128 }), [
          {
            rule: `self.matches('${IAM_ACTION_PATTERN}')`,
            message:
              'each action is an IAM action such as s3:GetObject (service:Action, with * and ? as wildcards) or *',
          },
        ]),
        {
          minItems: 1,
          maxItems: 100,
          description: 'AWS: raw IAM actions (escape hatch; guardrails still apply).',
        },
      ),
    ),
    role: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        description:
          'Google Cloud role or Azure role name/definition id (escape hatch; guardrails still apply).',
      }),
    ),
  }),
  [
    {
      rule: 'has(self.access) != (has(self.actions) || has(self.role))',
      message: 'each grant sets exactly one of access, or actions/role',
    },
    {
      rule: '!(has(self.actions) && has(self.role))',
      message: 'a grant sets actions (AWS) or role (Google Cloud, Azure), not both',
    },
  ],
);
export type Grant = Static<typeof GrantSchema>;

export const IdentityBindingSpecSchema = withRules(
  Type.Object({
    identityRef: described(
      withRules(
        Type.Object({
          name: Type.String({
            pattern: DNS_SUBDOMAIN_PATTERN,
            maxLength: 253,
            description: 'A WorkloadIdentity in this namespace.',
          }),
          namespace: Type.Optional(
            Type.String({ description: 'Not allowed: the identity must share the namespace.' }),
          ),
        }),
        [
          {
            rule: '!has(self.namespace)',
            message:
              'identityRef.namespace is not allowed: the WorkloadIdentity must be in the same namespace',
            fieldPath: '.namespace',
            reason: 'FieldValueForbidden',
          },
        ],
      ),
      'The WorkloadIdentity these grants are for.',
    ),
    grants: Type.Array(GrantSchema, {
      minItems: 1,
      maxItems: 50,
      description: 'What the identity may do: one resource per grant, 1 to 50.',
    }),
    expiresAt: Type.Optional(
      Type.String({
        format: 'date-time',
        description:
          'The grants end at this time: an RFC 3339 date-time with a time zone, such as 2030-01-01T00:00:00Z.',
      }),
    ),
    duration: Type.Optional(
      Duration({
        field: 'duration',
        min: GRANT_DURATION.min,
        max: GRANT_DURATION.max,
        why: 'for a later end, use expiresAt',
        description: `The grants end this long after the binding was created, ${GRANT_DURATION.min} to ${GRANT_DURATION.max}.`,
      }),
    ),
  }),
  [
    {
      rule: '!(has(self.expiresAt) && has(self.duration))',
      message: 'set expiresAt or duration, not both',
      fieldPath: '.duration',
    },
  ],
);
export type IdentityBindingSpec = Static<typeof IdentityBindingSpecSchema>;

export const AppliedGrantSchema = Type.Object({
  resource: Type.String({ description: "The grant's resource." }),
  summary: Type.String({ description: 'What the cloud now allows, e.g. s3:GetObject,s3:ListBucket.' }),
});

export const IdentityBindingStatusSchema = Type.Object(
  {
    grants: Type.Optional(
      Type.Array(AppliedGrantSchema, {
        maxItems: 50,
        description: 'What the cloud now allows, per resource.',
      }),
    ),
    members: Type.Optional(
      Type.Array(Type.String(), {
        maxItems: 20,
        description:
          'Google Cloud: the IAM members the grants were given to (the service account, or in mode Direct the ServiceAccounts’ principals), so that a change of mode removes the old ones.',
      }),
    ),
    expiresAt: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'When the grants end, from spec.expiresAt or spec.duration.',
      }),
    ),
    conditions: Type.Optional(ConditionsSchema),
    observedGeneration: Type.Optional(ObservedGenerationSchema),
    lastHandledReconcileAt: Type.Optional(LastHandledReconcileAtSchema),
    lastSyncTime: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'When the operator last changed the grants in the cloud.',
      }),
    ),
    drift: Type.Optional(DriftListSchema),
    usage: Type.Optional(BindingUsageSchema),
  },
  { default: {} },
);
export type IdentityBindingStatus = Static<typeof IdentityBindingStatusSchema>;

export interface IdentityBinding extends KubeObject {
  spec: IdentityBindingSpec;
  status?: IdentityBindingStatus;
}

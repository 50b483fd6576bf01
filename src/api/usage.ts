import { type Static, Type } from '@sinclair/typebox';
import { Duration, StringEnum } from './schema-helpers.js';

export const REVIEW_ACTIONS = ['Report', 'Revoke'] as const;
export type ReviewAction = (typeof REVIEW_ACTIONS)[number];

/** What a CloudAccount's usage review does when spec.review leaves a field unset. */
export const REVIEW_DEFAULTS = { interval: '24h', unusedAfter: '2160h', action: 'Report' } as const;

/** The per-service evidence kept in status: enough to join with grants, bounded for etcd. */
export const MAX_USAGE_SERVICES = 64;
export const MAX_USAGE_ACTIONS = 32;

export const ReviewSchema = Type.Object(
  {
    interval: Type.Optional(
      Duration({
        field: 'review.interval',
        min: '1s',
        max: '8760h',
        default: REVIEW_DEFAULTS.interval,
        why: 'each review reads every identity of the account from the cloud (on AWS 1 + 2 or more reads)',
        description:
          "How often each identity's use is read from the cloud (jittered by ±10%), 1s to 8760h; default 24h. Between reviews no usage call is made.",
      }),
    ),
    unusedAfter: Type.Optional(
      Duration({
        field: 'review.unusedAfter',
        min: '1s',
        max: '9600h',
        default: REVIEW_DEFAULTS.unusedAfter,
        why: 'AWS keeps 400 days of last-access data',
        description:
          'An identity or grant with no recorded use for this long is Unused, 1s to 9600h (400 days); default 2160h (90 days). A grant younger than this is never Unused.',
      }),
    ),
    action: Type.Optional(
      StringEnum(REVIEW_ACTIONS, {
        default: REVIEW_DEFAULTS.action,
        description:
          'Report (default): set the Unused condition, an Event and metrics; nothing is changed. Revoke: also remove unused grants from the cloud (the binding stays, Synced False RevokedUnused, until it is edited or deleted).',
      }),
    ),
  },
  {
    description:
      "The usage review of this account's identities and grants: on by default with action Report, which only reads.",
  },
);
export type Review = Static<typeof ReviewSchema>;

const Time = (description: string) => Type.String({ format: 'date-time', description });

export const UsageErrorSchema = Type.Object(
  {
    reason: Type.String({
      description: 'UsageReviewForbidden, UsageApiDisabled, UsageReviewIncomplete, or a retried class.',
    }),
    message: Type.String({ description: 'What failed, naming the API and the permission.' }),
  },
  { description: 'Why the last review could not read the cloud; the evidence before it is kept.' },
);
export type UsageError = Static<typeof UsageErrorSchema>;

export const ServiceUsageSchema = Type.Object({
  service: Type.String({ description: "The cloud's service namespace, e.g. s3." }),
  lastUsed: Type.Optional(Time('When the cloud last saw the identity use the service.')),
  actions: Type.Optional(
    Type.Array(
      Type.Object({
        action: Type.String({ description: 'The action, e.g. s3:GetObject.' }),
        lastUsed: Type.Optional(Time('When the cloud last saw the action used.')),
      }),
      {
        maxItems: MAX_USAGE_ACTIONS,
        description: 'Per action, where the cloud tracks it (AWS: S3, EC2, IAM, Lambda and a few more).',
      },
    ),
  ),
});
export type ServiceUsage = Static<typeof ServiceUsageSchema>;

export const IdentityUsageSchema = Type.Object(
  {
    reviewedAt: Time('When the cloud was last asked (successfully or not).'),
    nextReviewAt: Time('When the next review is due.'),
    source: Type.String({
      description:
        "The cloud's own name for the evidence: RoleLastUsed, serviceAccountLastAuthentication, servicePrincipalSignInActivities.",
    }),
    unavailable: Type.Optional(
      Type.String({ description: "Why the cloud cannot tell this identity's use at all, when it cannot." }),
    ),
    lastUsed: Type.Optional(
      Time('When the cloud last saw the identity authenticate; unset: never, within what the cloud tracks.'),
    ),
    lastUsedWhere: Type.Optional(
      Type.String({ description: 'Where (AWS: the region), when the cloud says.' }),
    ),
    trackedSince: Type.Optional(Time("Since when the cloud's record covers (AWS: 400 days back).")),
    services: Type.Optional(
      Type.Array(ServiceUsageSchema, {
        maxItems: MAX_USAGE_SERVICES,
        description:
          'AWS: the services the cloud saw the identity use, most recent first (a granted service not listed was not used within trackedSince). Google Cloud and Azure: unset, they offer identity-level evidence only.',
      }),
    ),
    error: Type.Optional(UsageErrorSchema),
  },
  {
    description: 'How the cloud has seen the identity used, read every review.interval of its CloudAccount.',
  },
);
export type IdentityUsage = Static<typeof IdentityUsageSchema>;

export const GrantUsageSchema = Type.Object({
  resource: Type.String({ description: "The grant's resource." }),
  services: Type.Array(Type.String(), {
    maxItems: 32,
    description:
      "The grant's service namespaces (AWS), or empty where the cloud has identity-level evidence only.",
  }),
  lastUsed: Type.Optional(Time("When the cloud last saw the grant's services (or the identity) used.")),
  unusedSince: Type.Optional(
    Time(
      "Set when the grant was never seen used: the later of when it was first applied and the start of the cloud's record.",
    ),
  ),
  since: Time(
    'When Keyless first applied the grant (or first reviewed it, for grants older than the review).',
  ),
});
export type GrantUsage = Static<typeof GrantUsageSchema>;

export const RevokedGrantSchema = Type.Object({
  resource: Type.String({ description: "The revoked grant's resource." }),
  revokedAt: Time('When Keyless removed it from the cloud.'),
  generation: Type.Integer({
    minimum: 0,
    description: 'The binding generation it was revoked in; editing the binding grants it again.',
  }),
});
export type RevokedGrant = Static<typeof RevokedGrantSchema>;

export const BindingUsageSchema = Type.Object(
  {
    reviewedAt: Time("The identity's review these figures come from."),
    grants: Type.Array(GrantUsageSchema, { maxItems: 50, description: 'Per grant, in spec order.' }),
    revoked: Type.Optional(
      Type.Array(RevokedGrantSchema, {
        maxItems: 50,
        description: "Grants removed as unused (the account's review.action Revoke).",
      }),
    ),
  },
  { description: "How each grant is used, from the identity's status.usage." },
);
export type BindingUsage = Static<typeof BindingUsageSchema>;

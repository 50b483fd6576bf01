import { type Static, Type } from '@sinclair/typebox';
import { ConditionsSchema, LastHandledReconcileAtSchema, ObservedGenerationSchema } from './conditions.js';
import type { KubeObject } from './object-meta.js';
import {
  AZURE_RESOURCE_GROUP_PATTERN,
  CANONICAL_PATH_RULES,
  DNS_LABEL_PATTERN,
  DNS_SUBDOMAIN_PATTERN,
  Duration,
  described,
  GRANT_DURATION,
  StringEnum,
  withRules,
} from './schema-helpers.js';
import { ReviewSchema } from './usage.js';
import { GCP_MODES } from './workload-identity.js';

/** A namespace name in which * stands for any characters. */
const NAMESPACE_GLOB_PATTERN = '^[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?$';

export const PROVIDERS = ['aws', 'gcp', 'azure'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export const ACCESS_LEVELS = ['read', 'write', 'admin'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const AwsAccountSchema = Type.Object({
  accountId: Type.String({ pattern: '^[0-9]{12}$', description: 'The 12-digit AWS account id.' }),
  region: Type.String({ minLength: 1, maxLength: 32, description: 'Region for STS calls, e.g. eu-west-1.' }),
  oidcProvider: Type.Object(
    {
      issuerUrl: Type.String({
        pattern: '^https://',
        maxLength: 512,
        description: "The cluster's service-account issuer URL.",
      }),
      manage: Type.Optional(
        Type.Boolean({ default: false, description: 'Create, tag and keep the IAM OIDC provider.' }),
      ),
    },
    { description: 'The IAM OIDC provider that federates this cluster.' },
  ),
  roleNamePrefix: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9+=,.@_-]{0,20}$',
      default: 'keyless',
      description: 'Role name prefix.',
    }),
  ),
  permissionsBoundaryArn: Type.Optional(
    Type.String({
      pattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$',
      description: 'Boundary set on every role; wins over an identity-level boundary.',
    }),
  ),
  path: Type.Optional(
    Type.String({ pattern: '^/([A-Za-z0-9+=,.@_-]+/)*$', default: '/keyless/', description: 'IAM path.' }),
  ),
  eksCluster: Type.Optional(
    Type.Object(
      {
        name: Type.String({
          pattern: '^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$',
          description: 'The EKS cluster this CloudAccount serves, as EKS names it.',
        }),
        region: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 32,
            description: "The cluster's region; unset: the account's region.",
          }),
        ),
      },
      {
        description:
          'The EKS cluster whose pods use EKS Pod Identity (WorkloadIdentity spec.aws.podIdentity): the trust policy names it.',
      },
    ),
  ),
});

const GcpAccountSchema = Type.Object({
  projectId: Type.String({
    pattern: '^[a-z][a-z0-9-]{4,28}[a-z0-9]$',
    description: 'The project the service accounts are created in, by id: shop-prod-4821.',
  }),
  projectNumber: Type.String({
    pattern: '^[0-9]{1,20}$',
    description: "The same project's number: 481516234200.",
  }),
  workloadIdentityPool: Type.String({
    minLength: 1,
    maxLength: 256,
    description:
      'GKE: PROJECT.svc.id.goog. Outside GKE: projects/NUMBER/locations/global/workloadIdentityPools/POOL.',
  }),
  defaultMode: Type.Optional(
    StringEnum(GCP_MODES, {
      description:
        "The spec.gcp.mode of this account's WorkloadIdentities that set none: ServiceAccount (unset) or Direct.",
    }),
  ),
});

const AzureAccountSchema = Type.Object({
  subscriptionId: Type.String({
    pattern: UUID_PATTERN,
    description: 'The subscription the managed identities are created in (a GUID).',
  }),
  tenantId: Type.String({
    pattern: UUID_PATTERN,
    description: 'The Microsoft Entra tenant (directory) of the subscription (a GUID).',
  }),
  resourceGroup: Type.String({
    pattern: AZURE_RESOURCE_GROUP_PATTERN,
    description:
      "The resource group the managed identities are created in, unless an identity's spec.azure.resourceGroup names another; no grant may reach it (see the escalation rules).",
  }),
  location: Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'The Azure region of the managed identities: westeurope.',
  }),
  issuerUrl: Type.String({ pattern: '^https://', maxLength: 512, description: "The cluster's OIDC issuer." }),
});

const RateSchema = Type.Object({
  qps: Type.Number({ minimum: 0.001, maximum: 10_000, description: 'Calls per second, sustained.' }),
  burst: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    description: 'Calls allowed at once after a quiet spell.',
  }),
});

const CredentialsSchema = withRules(
  Type.Object({
    source: StringEnum(['Ambient', 'Secret'] as const, {
      default: 'Ambient',
      description: "Ambient: the operator's own workload identity. Secret: keys from secretRef.",
    }),
    secretRef: Type.Optional(
      Type.Object(
        {
          name: Type.String({
            pattern: DNS_SUBDOMAIN_PATTERN,
            maxLength: 253,
            description: "The Secret's name.",
          }),
          namespace: Type.String({
            pattern: DNS_LABEL_PATTERN,
            maxLength: 63,
            description:
              "The Secret's namespace: the operator's own, the only one where it may read Secrets.",
          }),
        },
        {
          description:
            "The Secret holding the operator's keys when source is Secret (the README lists each cloud's keys).",
        },
      ),
    ),
  }),
  [
    {
      rule: "self.source != 'Secret' || has(self.secretRef)",
      message: 'credentials.secretRef is required when credentials.source is Secret',
      fieldPath: '.secretRef',
      reason: 'FieldValueRequired',
    },
    {
      rule: "self.source == 'Secret' || !has(self.secretRef)",
      message: 'credentials.secretRef is read only when credentials.source is Secret',
      fieldPath: '.secretRef',
      reason: 'FieldValueForbidden',
    },
  ],
);

const GuardrailsSchema = Type.Object({
  allowedNamespaces: Type.Optional(
    Type.Array(Type.String({ pattern: NAMESPACE_GLOB_PATTERN, maxLength: 63 }), {
      maxItems: 256,
      description: 'Namespaces (exact or glob with *) whose identities may use this account. Empty: all.',
    }),
  ),
  allowedResources: Type.Optional(
    Type.Array(withRules(Type.String({ maxLength: 2048 }), CANONICAL_PATH_RULES), {
      maxItems: 256,
      description:
        "Resource patterns (glob with *) grants must lie inside ('*' lies inside none but '*'). Empty: all.",
    }),
  ),
  deniedActions: Type.Optional(
    Type.Array(Type.String({ maxLength: 256 }), {
      maxItems: 256,
      description:
        'Actions or permissions (glob with *) no grant may include; a grant whose own pattern could allow one is refused.',
    }),
  ),
  deniedRoles: Type.Optional(
    Type.Array(Type.String({ maxLength: 512 }), {
      maxItems: 256,
      description: 'Roles (glob with *) no grant may use.',
    }),
  ),
  allowEscalation: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 512 }), {
      maxItems: 64,
      description:
        "Built-in escalation rules this account lifts, each named as the README's table lists it (AWS and " +
        'Azure names in any case), e.g. iam:PassRole, roles/iam.serviceAccountUser, Contributor. The rules ' +
        'hold whatever deniedActions and deniedRoles say; a pattern here lifts nothing.',
    }),
  ),
  maxAccess: Type.Optional(
    StringEnum(ACCESS_LEVELS, {
      description:
        'The highest access level a grant may have; raw actions and roles are judged by what they amount to.',
    }),
  ),
  maxGrantDuration: Type.Optional(
    Duration({
      field: 'guardrails.maxGrantDuration',
      min: GRANT_DURATION.min,
      max: GRANT_DURATION.max,
      description: `Longest temporary grant, ${GRANT_DURATION.min} to ${GRANT_DURATION.max}; with this set, every grant must be temporary.`,
    }),
  ),
  requirePermissionsBoundary: Type.Optional(
    Type.Boolean({ description: 'AWS: refuse identities that would get no permissions boundary.' }),
  ),
});

export const CloudAccountSpecSchema = withRules(
  Type.Object({
    provider: StringEnum(PROVIDERS, { description: 'Which cloud; the matching block must be set.' }),
    aws: Type.Optional(
      described(
        AwsAccountSchema,
        'AWS: the account the IAM roles are created in. Set exactly when provider is aws.',
      ),
    ),
    gcp: Type.Optional(
      described(
        GcpAccountSchema,
        'Google Cloud: the project the service accounts are created in. Set exactly when provider is gcp.',
      ),
    ),
    azure: Type.Optional(
      described(
        AzureAccountSchema,
        'Azure: the subscription the managed identities are created in. Set exactly when provider is azure.',
      ),
    ),
    credentials: Type.Optional(
      described(CredentialsSchema, 'How the operator authenticates to this account.'),
    ),
    endpoint: Type.Optional(
      Type.String({
        pattern: '^https?://',
        maxLength: 512,
        description: 'API endpoint override (sovereign clouds, local emulators).',
      }),
    ),
    guardrails: Type.Optional(
      described(
        GuardrailsSchema,
        'What identities and grants using this account may be, checked before any cloud call; the built-in escalation rules apply besides.',
      ),
    ),
    resyncInterval: Type.Optional(
      Duration({
        field: 'resyncInterval',
        min: '1s',
        max: '24h',
        why: 'each resync reads every identity and binding of the account from the cloud',
        description:
          "How often the cloud is re-observed (jittered), 1s to 24h. Without it, the operator's --default-resync (10m).",
      }),
    ),
    review: Type.Optional(ReviewSchema),
    rateLimits: Type.Optional(
      Type.Object(
        {
          reads: Type.Optional(described(RateSchema, 'Calls that read the cloud.')),
          writes: Type.Optional(described(RateSchema, 'Calls that change the cloud.')),
        },
        {
          description:
            "Keyless's own limits on calls to this account; the defaults follow the cloud's quotas.",
        },
      ),
    ),
  }),
  PROVIDERS.map((p) => ({
    rule: `(self.provider == '${p}') == has(self.${p})`,
    message: `spec.${p} must be set exactly when spec.provider is ${p}`,
    fieldPath: `.${p}`,
  })),
);
export type CloudAccountSpec = Static<typeof CloudAccountSpecSchema>;

export const CloudAccountStatusSchema = Type.Object(
  {
    conditions: Type.Optional(ConditionsSchema),
    observedGeneration: Type.Optional(ObservedGenerationSchema),
    lastHandledReconcileAt: Type.Optional(LastHandledReconcileAtSchema),
    identityCount: Type.Optional(
      Type.Integer({ minimum: 0, description: 'WorkloadIdentities using this account.' }),
    ),
    callerIdentity: Type.Optional(Type.String({ description: 'Who the operator is in this account.' })),
  },
  { default: {} },
);
export type CloudAccountStatus = Static<typeof CloudAccountStatusSchema>;

export interface CloudAccount extends KubeObject {
  spec: CloudAccountSpec;
  status?: CloudAccountStatus;
}

import { type Static, Type } from '@sinclair/typebox';
import { ConditionsSchema, DriftListSchema } from './conditions.js';
import type { KubeObject } from './object-meta.js';
import { Duration, StringEnum, StringMap, withRules } from './schema-helpers.js';

export const SERVERLESS_PLATFORMS = ['AWSLambda', 'GCPCloudRunFunction', 'AzureFunction'] as const;
export type ServerlessPlatform = (typeof SERVERLESS_PLATFORMS)[number];

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

const ServiceAccountSubjectSchema = withRules(
  Type.Object({
    name: Type.String({
      pattern: DNS_SUBDOMAIN,
      maxLength: 253,
      description: 'ServiceAccount in this namespace.',
    }),
    namespace: Type.Optional(
      Type.String({ description: 'Not allowed: the ServiceAccount must share the namespace.' }),
    ),
    create: Type.Optional(
      Type.Boolean({ default: false, description: 'Create the ServiceAccount if it does not exist.' }),
    ),
  }),
  [
    {
      rule: '!has(self.namespace)',
      message: 'serviceAccount.namespace is not allowed: the ServiceAccount must be in the same namespace',
      fieldPath: '.namespace',
      reason: 'FieldValueForbidden',
    },
  ],
);

const ServerlessSubjectSchema = Type.Object({
  platform: StringEnum(SERVERLESS_PLATFORMS),
  deployers: Type.Optional(
    Type.Array(Type.String({ maxLength: 320 }), {
      maxItems: 20,
      description:
        'GCP: principals that may deploy functions running as this identity (iam.serviceAccountUser).',
    }),
  ),
});

const SubjectSchema = withRules(
  Type.Object({
    serviceAccount: Type.Optional(ServiceAccountSubjectSchema),
    serverless: Type.Optional(ServerlessSubjectSchema),
  }),
  [
    {
      rule: 'has(self.serviceAccount) != has(self.serverless)',
      message: 'each subject sets exactly one of serviceAccount or serverless',
    },
  ],
);
export type Subject = Static<typeof SubjectSchema>;

export const WorkloadIdentitySpecSchema = Type.Object({
  accountRef: Type.Object(
    { name: Type.String({ pattern: DNS_SUBDOMAIN, maxLength: 253 }) },
    { description: 'The CloudAccount this identity lives in.' },
  ),
  subjects: Type.Array(SubjectSchema, {
    minItems: 1,
    maxItems: 20,
    description: 'Who may assume this identity.',
  }),
  maxSessionDuration: Type.Optional(
    Duration('Lifetime of the temporary credentials the cloud issues (AWS: 1h to 12h).', { default: '1h' }),
  ),
  deletionPolicy: Type.Optional(
    StringEnum(['Delete', 'Retain'] as const, {
      default: 'Delete',
      description: 'Retain leaves the cloud identity when this object is deleted.',
    }),
  ),
  managementPolicy: Type.Optional(
    StringEnum(['Manage', 'ObserveOnly'] as const, {
      default: 'Manage',
      description: 'ObserveOnly reads the cloud and reports; it never writes.',
    }),
  ),
  driftPolicy: Type.Optional(
    StringEnum(['Correct', 'Report'] as const, {
      default: 'Correct',
      description: 'Correct puts out-of-band changes back; Report only reports them.',
    }),
  ),
  aws: Type.Optional(
    Type.Object({
      permissionsBoundaryArn: Type.Optional(
        Type.String({ pattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$' }),
      ),
      podIdentity: Type.Optional(
        Type.Boolean({
          default: false,
          description: 'Also trust EKS Pod Identity (pods.eks.amazonaws.com).',
        }),
      ),
    }),
  ),
  gcp: Type.Optional(Type.Object({ displayName: Type.Optional(Type.String({ maxLength: 100 })) })),
  azure: Type.Optional(
    Type.Object({
      resourceGroup: Type.Optional(
        Type.String({
          pattern: '^[-\\w._()]{1,90}$',
          description: "Overrides the account's resource group.",
        }),
      ),
    }),
  ),
  tags: Type.Optional(StringMap('Extra tags/labels on the cloud identity.', { maxProperties: 40 })),
});
export type WorkloadIdentitySpec = Static<typeof WorkloadIdentitySpecSchema>;

export const PrincipalSchema = Type.Object({
  id: Type.Optional(
    Type.String({ description: 'What a workload uses: the role ARN, service-account email or client id.' }),
  ),
  roleArn: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
  clientId: Type.Optional(Type.String()),
  principalId: Type.Optional(Type.String()),
  resourceId: Type.Optional(Type.String()),
  tenantId: Type.Optional(Type.String()),
});
export type Principal = Static<typeof PrincipalSchema>;

export const WorkloadIdentityStatusSchema = Type.Object({
  principal: Type.Optional(PrincipalSchema),
  externalName: Type.Optional(Type.String({ description: 'The name of the identity in the cloud.' })),
  conditions: Type.Optional(ConditionsSchema),
  observedGeneration: Type.Optional(Type.Integer()),
  lastSyncTime: Type.Optional(
    Type.String({ format: 'date-time', description: 'When the operator last changed the cloud identity.' }),
  ),
  drift: Type.Optional(DriftListSchema),
});
export type WorkloadIdentityStatus = Static<typeof WorkloadIdentityStatusSchema>;

export interface WorkloadIdentity extends KubeObject {
  spec: WorkloadIdentitySpec;
  status?: WorkloadIdentityStatus;
}

export const DNS_LABEL_PATTERN = DNS_LABEL;

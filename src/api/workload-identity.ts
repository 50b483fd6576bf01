import { type Static, Type } from '@sinclair/typebox';
import {
  ConditionsSchema,
  DriftListSchema,
  LastHandledReconcileAtSchema,
  ObservedGenerationSchema,
} from './conditions.js';
import type { KubeObject } from './object-meta.js';
import {
  AZURE_RESOURCE_GROUP_PATTERN,
  AZURE_SITE_ID_PATTERN,
  type CelRule,
  DNS_SUBDOMAIN_PATTERN,
  Duration,
  described,
  StringEnum,
  StringMap,
  withRules,
} from './schema-helpers.js';
import { IdentityUsageSchema } from './usage.js';

/** A Lambda function's unqualified ARN: the function itself, not a version or alias. */
export const LAMBDA_FUNCTION_ARN_PATTERN =
  '^arn:aws[a-z-]*:lambda:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}$';
/** Lambda functions one identity runs: each costs one read per resync. */
export const MAX_LAMBDA_FUNCTIONS = 50;

/** A Cloud Run service's full name (Cloud Run functions are Cloud Run services). */
export const CLOUD_RUN_SERVICE_PATTERN =
  '^projects/([a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]{1,20})/locations/[a-z]+(-[a-z]+)+[0-9]+/services/[a-z]([-a-z0-9]{0,47}[a-z0-9])?$';
/** Cloud Run services one identity runs: each costs one read per resync. */
export const MAX_CLOUD_RUN_SERVICES = 50;

/** How a WorkloadIdentity reaches Google Cloud: through a service account, or as its ServiceAccounts' own principals. */
export const GCP_MODES = ['ServiceAccount', 'Direct'] as const;
export type GcpMode = (typeof GCP_MODES)[number];

export const SERVERLESS_PLATFORMS = ['AWSLambda', 'GCPCloudRunFunction', 'AzureFunction'] as const;
export type ServerlessPlatform = (typeof SERVERLESS_PLATFORMS)[number];

const ServiceAccountSubjectSchema = withRules(
  Type.Object({
    name: Type.String({
      pattern: DNS_SUBDOMAIN_PATTERN,
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

const ServerlessSubjectSchema = withRules(
  Type.Object({
    platform: StringEnum(SERVERLESS_PLATFORMS, {
      description: 'Whose functions run as the identity: AWSLambda, GCPCloudRunFunction or AzureFunction.',
    }),
    deployers: Type.Optional(
      Type.Array(Type.String({ maxLength: 320 }), {
        maxItems: 20,
        description:
          'GCP: principals that may deploy functions running as this identity (iam.serviceAccountUser).',
      }),
    ),
    functions: Type.Optional(
      Type.Array(Type.String({ pattern: LAMBDA_FUNCTION_ARN_PATTERN, maxLength: 200 }), {
        maxItems: MAX_LAMBDA_FUNCTIONS,
        'x-kubernetes-list-type': 'set',
        description:
          "AWSLambda: the ARNs of functions (arn:aws:lambda:REGION:ACCOUNT:function:NAME, in the account's own AWS account) whose execution role Keyless sets to this identity's role. Another role found on a function is drift.",
      }),
    ),
    functionApps: Type.Optional(
      Type.Array(
        Type.String({
          pattern: AZURE_SITE_ID_PATTERN,
          maxLength: 1024,
          description: 'The resource ID of a Function App or App Service site.',
        }),
        {
          maxItems: 20,
          description:
            "Azure: Function Apps and App Service sites (/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Web/sites/NAME, in the account's subscription) that run as the identity: Keyless adds it to their user-assigned identities, leaving their other identities alone.",
        },
      ),
    ),
    setClientIdSetting: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          "Azure: also set each site's app setting AZURE_CLIENT_ID to the identity's client id, so DefaultAzureCredential picks it; other settings are kept.",
      }),
    ),
    services: Type.Optional(
      Type.Array(Type.String({ pattern: CLOUD_RUN_SERVICE_PATTERN, maxLength: 200 }), {
        maxItems: MAX_CLOUD_RUN_SERVICES,
        'x-kubernetes-list-type': 'set',
        description:
          "GCPCloudRunFunction: the Cloud Run services (projects/PROJECT/locations/REGION/services/NAME; a Cloud Run function is one) whose revision template's service account Keyless sets to this identity's service account. Another service account found on a service is drift.",
      }),
    ),
  }),
  [
    {
      rule: "!has(self.services) || self.platform == 'GCPCloudRunFunction'",
      message: 'serverless.services is for platform GCPCloudRunFunction only',
      fieldPath: '.services',
      reason: 'FieldValueForbidden',
    },
    {
      rule: "!has(self.functions) || self.platform == 'AWSLambda'",
      message: 'serverless.functions is for platform AWSLambda only',
      fieldPath: '.functions',
      reason: 'FieldValueForbidden',
    },
    {
      rule: "!has(self.deployers) || self.platform == 'GCPCloudRunFunction'",
      message: 'serverless.deployers is for platform GCPCloudRunFunction only',
      fieldPath: '.deployers',
      reason: 'FieldValueForbidden',
    },
    {
      rule: "!has(self.functionApps) || self.platform == 'AzureFunction'",
      message: 'serverless.functionApps is for platform AzureFunction only',
      fieldPath: '.functionApps',
      reason: 'FieldValueForbidden',
    },
    {
      rule: "!has(self.setClientIdSetting) || !self.setClientIdSetting || self.platform == 'AzureFunction'",
      message: 'serverless.setClientIdSetting is for platform AzureFunction only',
      fieldPath: '.setClientIdSetting',
      reason: 'FieldValueForbidden',
    },
  ],
);

const SubjectSchema = withRules(
  Type.Object({
    serviceAccount: Type.Optional(
      described(
        ServiceAccountSubjectSchema,
        'A Kubernetes ServiceAccount in this namespace: its pods assume the identity through the annotation Keyless writes on it.',
      ),
    ),
    serverless: Type.Optional(
      described(ServerlessSubjectSchema, "A serverless platform's functions, which run as the identity."),
    ),
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
    {
      name: Type.String({
        pattern: DNS_SUBDOMAIN_PATTERN,
        maxLength: 253,
        description: 'The name of the CloudAccount (cluster-scoped).',
      }),
    },
    { description: 'The CloudAccount this identity lives in.' },
  ),
  subjects: withRules(
    Type.Array(SubjectSchema, {
      minItems: 1,
      maxItems: 20,
      description: 'Who may assume this identity.',
    }),
    [
      {
        rule: 'self.all(s, !has(s.serviceAccount) || self.filter(t, has(t.serviceAccount) && t.serviceAccount.name == s.serviceAccount.name).size() == 1)',
        message: 'each ServiceAccount is named by one subject only',
      },
      {
        rule: 'self.all(s, !has(s.serverless) || self.filter(t, has(t.serverless) && t.serverless.platform == s.serverless.platform).size() == 1)',
        message: 'each serverless platform is named by one subject only (list all its deployers there)',
      },
    ],
  ),
  maxSessionDuration: Type.Optional(
    Duration({
      field: 'maxSessionDuration',
      min: '1h',
      max: '12h',
      why: "what AWS allows for a role's sessions",
      description:
        "Lifetime of the temporary credentials the cloud issues, 1h to 12h: on AWS the role's MaxSessionDuration. Google Cloud and Azure ignore it (the cloud sets their tokens' lifetime).",
      default: '1h',
    }),
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
    Type.Object(
      {
        permissionsBoundaryArn: Type.Optional(
          Type.String({
            pattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$',
            description:
              "The role's permissions boundary; the account's spec.aws.permissionsBoundaryArn wins over it.",
          }),
        ),
        podIdentity: Type.Optional(
          Type.Boolean({
            default: false,
            description: 'Also trust EKS Pod Identity (pods.eks.amazonaws.com).',
          }),
        ),
      },
      { description: 'Options of the AWS IAM role.' },
    ),
  ),
  gcp: Type.Optional(
    Type.Object(
      {
        mode: Type.Optional(
          StringEnum(GCP_MODES, {
            description:
              "ServiceAccount: a Google service account the workload impersonates (the ServiceAccount annotation names it). Direct: no service account; grants name each Kubernetes ServiceAccount subject's own principal (principal://…/subject/ns/NS/sa/SA), and no annotation is written. Unset: the CloudAccount's spec.gcp.defaultMode, else ServiceAccount.",
          }),
        ),
        displayName: Type.Optional(
          Type.String({
            maxLength: 100,
            description: "The service account's display name; unset: keyless NAMESPACE/NAME.",
          }),
        ),
      },
      { description: 'Options of the Google Cloud identity.' },
    ),
  ),
  azure: Type.Optional(
    Type.Object(
      {
        resourceGroup: Type.Optional(
          Type.String({
            pattern: AZURE_RESOURCE_GROUP_PATTERN,
            description: "Overrides the account's resource group.",
          }),
        ),
      },
      { description: 'Options of the Azure managed identity.' },
    ),
  ),
  tags: Type.Optional(
    withRules(
      StringMap(
        'Extra tags on the cloud identity (AWS and Azure; Google Cloud service accounts have none). Keys starting with keyless.dev/ are Keyless’s own.',
        { maxProperties: 40 },
      ),
      [
        {
          rule: "self.all(k, k != '' && !k.startsWith('keyless.dev/') && !k.startsWith('keyless.dev-'))",
          message: 'tag keys may not be empty or start with keyless.dev/ (the ownership tags Keyless writes)',
        },
      ],
    ),
  ),
});
export type WorkloadIdentitySpec = Static<typeof WorkloadIdentitySpecSchema>;

/** Rules across the spec's fields, checked at apply time. */
export const WORKLOAD_IDENTITY_SPEC_RULES = [
  {
    rule: "!has(self.gcp) || !has(self.gcp.mode) || self.gcp.mode != 'Direct' || self.subjects.all(s, !has(s.serverless))",
    message:
      'gcp.mode Direct grants Kubernetes ServiceAccounts only: a serverless function runs as a service account, so use mode ServiceAccount for serverless subjects',
    fieldPath: '.gcp.mode',
    reason: 'FieldValueForbidden',
  },
] satisfies CelRule[];

export const PrincipalSchema = Type.Object({
  id: Type.Optional(
    Type.String({ description: 'What a workload uses: the role ARN, service-account email or client id.' }),
  ),
  roleArn: Type.Optional(Type.String({ description: "AWS: the IAM role's ARN." })),
  email: Type.Optional(Type.String({ description: "Google Cloud: the service account's email." })),
  members: Type.Optional(
    Type.Array(Type.String(), {
      description:
        'Google Cloud mode Direct: the IAM principal identifiers grants name, one per ServiceAccount subject.',
    }),
  ),
  clientId: Type.Optional(Type.String({ description: "Azure: the managed identity's client id." })),
  principalId: Type.Optional(
    Type.String({
      description: "Azure: the managed identity's principal (object) id, which role assignments name.",
    }),
  ),
  resourceId: Type.Optional(Type.String({ description: "Azure: the managed identity's resource ID." })),
  tenantId: Type.Optional(Type.String({ description: 'Azure: the tenant that issues its tokens.' })),
});
export type Principal = Static<typeof PrincipalSchema>;

export const FUNCTION_STATES = ['Attached', 'Drifted', 'Missing', 'Forbidden'] as const;
export type FunctionState = (typeof FUNCTION_STATES)[number];

export const FunctionStatusSchema = Type.Object({
  arn: Type.String({
    description:
      "The function's identifier, as spec lists it: a Lambda function's ARN, a Cloud Run service's name, or an Azure site's resource ID.",
  }),
  role: Type.Optional(
    Type.String({
      description:
        'What the function was last seen running as: the Lambda execution role, the Cloud Run service account, or the Azure managed identity (when it runs as it).',
    }),
  ),
  state: StringEnum(FUNCTION_STATES, {
    description:
      'Attached: it runs as this identity. Drifted: it runs as another role or service account, or has lost the identity or its setting (driftPolicy Report). Missing: it does not exist. Forbidden: the operator may not read or change it; message names the permission.',
  }),
  message: Type.Optional(Type.String({ description: 'Why it is not Attached.' })),
});
export type FunctionStatus = Static<typeof FunctionStatusSchema>;

export const ASSOCIATION_STATES = ['Associated', 'Drifted', 'Conflict'] as const;
export type AssociationState = (typeof ASSOCIATION_STATES)[number];

export const PodIdentityAssociationStatusSchema = Type.Object({
  serviceAccount: Type.String({ description: 'The ServiceAccount the association is for.' }),
  associationId: Type.Optional(Type.String({ description: "EKS's id of the association." })),
  roleArn: Type.Optional(Type.String({ description: 'The role the association was last seen with.' })),
  state: StringEnum(ASSOCIATION_STATES, {
    description:
      "Associated: pods using the ServiceAccount get this identity's role. Drifted: the association names another role (driftPolicy Report). Conflict: an association Keyless does not own holds the ServiceAccount; message says whose.",
  }),
  message: Type.Optional(Type.String({ description: 'Why it is not Associated.' })),
});
export type PodIdentityAssociationStatus = Static<typeof PodIdentityAssociationStatusSchema>;

export const WorkloadIdentityStatusSchema = Type.Object(
  {
    principal: Type.Optional(described(PrincipalSchema, 'Who the identity is in the cloud.')),
    externalName: Type.Optional(Type.String({ description: 'The name of the identity in the cloud.' })),
    conditions: Type.Optional(ConditionsSchema),
    observedGeneration: Type.Optional(ObservedGenerationSchema),
    lastHandledReconcileAt: Type.Optional(LastHandledReconcileAtSchema),
    lastSyncTime: Type.Optional(
      Type.String({ format: 'date-time', description: 'When the operator last changed the cloud identity.' }),
    ),
    drift: Type.Optional(DriftListSchema),
    functions: Type.Optional(
      Type.Array(FunctionStatusSchema, {
        maxItems: MAX_LAMBDA_FUNCTIONS,
        description:
          'Each function of spec.subjects[].serverless (AWSLambda functions, GCPCloudRunFunction services, AzureFunction functionApps) and what it runs as.',
      }),
    ),
    podIdentityAssociations: Type.Optional(
      Type.Array(PodIdentityAssociationStatusSchema, {
        maxItems: 20,
        description:
          "AWS with spec.aws.podIdentity: the EKS Pod Identity association of each ServiceAccount subject in the CloudAccount's cluster.",
      }),
    ),
    usage: Type.Optional(IdentityUsageSchema),
  },
  { default: {} },
);
export type WorkloadIdentityStatus = Static<typeof WorkloadIdentityStatusSchema>;

export interface WorkloadIdentity extends KubeObject {
  spec: WorkloadIdentitySpec;
  status?: WorkloadIdentityStatus;
}

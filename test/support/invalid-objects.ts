/**
 * Objects the CRD schemas must refuse, with the field the refusal must point at (and, below, objects
 * at the edges they must accept).
 * Unit tests check them against the generated schemas; integration tests against a real API server.
 */
export interface InvalidCase {
  name: string;
  object: Record<string, unknown>;
  /** The path the error names, as the API server writes it (spec.grants[0], spec.aws ...). */
  field: string;
  /** A fragment of the message. */
  message: string;
}

const API = 'keyless.dev/v1alpha1';

function account(spec: Record<string, unknown>) {
  return { apiVersion: API, kind: 'CloudAccount', metadata: { name: 'bad-account' }, spec };
}
function identity(spec: Record<string, unknown>) {
  return { apiVersion: API, kind: 'WorkloadIdentity', metadata: { name: 'bad', namespace: 'default' }, spec };
}
function binding(spec: Record<string, unknown>) {
  return { apiVersion: API, kind: 'IdentityBinding', metadata: { name: 'bad', namespace: 'default' }, spec };
}

const AWS = {
  accountId: '123456789012',
  region: 'us-east-1',
  oidcProvider: { issuerUrl: 'https://issuer.example' },
};
const SUBJECTS = [{ serviceAccount: { name: 'app' } }];
const AZURE_SUB = '/subscriptions/00000000-0000-0000-0000-000000000000';
const AZURE = {
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  tenantId: '00000000-0000-0000-0000-0000000000aa',
  resourceGroup: 'keyless',
  location: 'westeurope',
  issuerUrl: 'https://issuer.example',
};
const BUCKETS = '//storage.googleapis.com/projects/_/buckets';
const SEGMENTS = 'has no empty segment (//) and does not end with /';
const DOTS = 'has no . or .. segment: the HTTP client resolves them';
const CHARACTERS = 'holds no %, ?, #, backslash or control character';

/** Resources the cloud would read as another path, refused at apply time. */
const NON_CANONICAL_RESOURCES = [
  { name: 'an Azure ID that climbs with ..', resource: `${AZURE_SUB}/resourceGroups/rg/..`, message: DOTS },
  { name: 'an Azure ID with a . segment', resource: `${AZURE_SUB}/./resourceGroups/rg`, message: DOTS },
  { name: 'an Azure ID with two slashes', resource: `${AZURE_SUB}//resourceGroups/rg`, message: SEGMENTS },
  {
    name: 'an Azure ID with a trailing slash',
    resource: `${AZURE_SUB}/resourceGroups/rg/`,
    message: SEGMENTS,
  },
  { name: 'an Azure ID with %2e%2e', resource: `${AZURE_SUB}/resourceGroups/rg/%2e%2e`, message: CHARACTERS },
  { name: 'an Azure ID with %2F', resource: `${AZURE_SUB}/resourceGroups/a%2Fb`, message: CHARACTERS },
  {
    name: 'an Azure ID with a backslash',
    resource: `${AZURE_SUB}/resourceGroups/rg\\..`,
    message: CHARACTERS,
  },
  { name: 'an Azure ID with a ?', resource: `${AZURE_SUB}?/resourceGroups/rg`, message: CHARACTERS },
  { name: 'an Azure ID with a tab', resource: `${AZURE_SUB}/resourceGroups/.\t.`, message: CHARACTERS },
  { name: 'a Google Cloud name that climbs with ..', resource: `${BUCKETS}/shop/../finance`, message: DOTS },
  { name: 'a Google Cloud name with a trailing slash', resource: `${BUCKETS}/shop/`, message: SEGMENTS },
  { name: 'a Google Cloud name with %2F', resource: `${BUCKETS}/shop%2F..%2Ffinance`, message: CHARACTERS },
];
const GRANT = { resource: 'arn:aws:s3:::bucket', access: 'read' };

export const INVALID_OBJECTS: InvalidCase[] = [
  {
    name: 'provider block missing',
    object: account({ provider: 'aws' }),
    field: 'spec.aws',
    message: 'spec.aws must be set exactly when spec.provider is aws',
  },
  {
    name: 'provider block of another cloud',
    object: account({
      provider: 'aws',
      aws: AWS,
      gcp: { projectId: 'proj-123456', projectNumber: '1', workloadIdentityPool: 'p' },
    }),
    field: 'spec.gcp',
    message: 'spec.gcp must be set exactly when spec.provider is gcp',
  },
  {
    name: 'unknown provider',
    object: account({ provider: 'oracle' }),
    field: 'spec.provider',
    message: 'Unsupported value',
  },
  {
    name: 'account id not 12 digits',
    object: account({ provider: 'aws', aws: { ...AWS, accountId: '12345' } }),
    field: 'spec.aws.accountId',
    message: 'should match',
  },
  {
    name: 'secret credentials without a secretRef',
    object: account({ provider: 'aws', aws: AWS, credentials: { source: 'Secret' } }),
    field: 'spec.credentials.secretRef',
    message: 'credentials.secretRef is required when credentials.source is Secret',
  },
  {
    name: 'bad resync interval',
    object: account({ provider: 'aws', aws: AWS, resyncInterval: 'ten minutes' }),
    field: 'spec.resyncInterval',
    message: 'should match',
  },
  {
    name: 'identity without subjects',
    object: identity({ accountRef: { name: 'a' }, subjects: [] }),
    field: 'spec.subjects',
    message: 'should have at least 1 items',
  },
  {
    name: 'subject with both kinds',
    object: identity({
      accountRef: { name: 'a' },
      subjects: [{ serviceAccount: { name: 'app' }, serverless: { platform: 'AWSLambda' } }],
    }),
    field: 'spec.subjects[0]',
    message: 'each subject sets exactly one of serviceAccount or serverless',
  },
  {
    name: 'subject with neither kind',
    object: identity({ accountRef: { name: 'a' }, subjects: [{}] }),
    field: 'spec.subjects[0]',
    message: 'each subject sets exactly one of serviceAccount or serverless',
  },
  {
    name: 'ServiceAccount in another namespace',
    object: identity({
      accountRef: { name: 'a' },
      subjects: [{ serviceAccount: { name: 'app', namespace: 'x' } }],
    }),
    field: 'spec.subjects[0].serviceAccount.namespace',
    message: 'serviceAccount.namespace is not allowed',
  },
  {
    name: 'unknown deletion policy',
    object: identity({ accountRef: { name: 'a' }, subjects: SUBJECTS, deletionPolicy: 'Orphan' }),
    field: 'spec.deletionPolicy',
    message: 'Unsupported value',
  },
  {
    name: 'session duration not a duration',
    object: identity({ accountRef: { name: 'a' }, subjects: SUBJECTS, maxSessionDuration: '1 hour' }),
    field: 'spec.maxSessionDuration',
    message: 'should match',
  },
  {
    name: 'grant with access and actions',
    object: binding({
      identityRef: { name: 'app' },
      grants: [{ resource: 'arn:aws:s3:::b', access: 'read', actions: ['s3:GetObject'] }],
    }),
    field: 'spec.grants[0]',
    message: 'each grant sets exactly one of access, or actions/role',
  },
  {
    name: 'grant with nothing granted',
    object: binding({ identityRef: { name: 'app' }, grants: [{ resource: 'arn:aws:s3:::b' }] }),
    field: 'spec.grants[0]',
    message: 'each grant sets exactly one of access, or actions/role',
  },
  {
    name: 'grant with actions and role',
    object: binding({
      identityRef: { name: 'app' },
      grants: [{ resource: 'arn:aws:s3:::b', actions: ['s3:GetObject'], role: 'roles/viewer' }],
    }),
    field: 'spec.grants[0]',
    message: 'a grant sets actions (AWS) or role (Google Cloud, Azure), not both',
  },
  {
    name: 'unknown access level',
    object: binding({
      identityRef: { name: 'app' },
      grants: [{ resource: 'arn:aws:s3:::b', access: 'owner' }],
    }),
    field: 'spec.grants[0].access',
    message: 'Unsupported value',
  },
  {
    name: 'expiresAt and duration together',
    object: binding({
      identityRef: { name: 'app' },
      grants: [GRANT],
      expiresAt: '2030-01-01T00:00:00Z',
      duration: '1h',
    }),
    field: 'spec.duration',
    message: 'set expiresAt or duration, not both',
  },
  {
    name: 'identity in another namespace',
    object: binding({ identityRef: { name: 'app', namespace: 'other' }, grants: [GRANT] }),
    field: 'spec.identityRef.namespace',
    message: 'identityRef.namespace is not allowed',
  },
  {
    name: 'binding without grants',
    object: binding({ identityRef: { name: 'app' }, grants: [] }),
    field: 'spec.grants',
    message: 'should have at least 1 items',
  },
  {
    name: 'session duration longer than AWS allows',
    object: identity({ accountRef: { name: 'a' }, subjects: SUBJECTS, maxSessionDuration: '720h' }),
    field: 'spec.maxSessionDuration',
    message: "maxSessionDuration must be a duration from 1h to 12h (what AWS allows for a role's sessions)",
  },
  {
    name: 'session duration shorter than AWS allows',
    object: identity({ accountRef: { name: 'a' }, subjects: SUBJECTS, maxSessionDuration: '59m59s' }),
    field: 'spec.maxSessionDuration',
    message: 'maxSessionDuration must be a duration from 1h to 12h',
  },
  {
    name: 'resync interval of zero',
    object: account({ provider: 'aws', aws: AWS, resyncInterval: '0s' }),
    field: 'spec.resyncInterval',
    message: 'resyncInterval must be a duration from 1s to 24h',
  },
  {
    name: 'resync interval below a second',
    object: account({ provider: 'aws', aws: AWS, resyncInterval: '500ms' }),
    field: 'spec.resyncInterval',
    message: 'resyncInterval must be a duration from 1s to 24h',
  },
  {
    name: 'resync interval over a day',
    object: account({ provider: 'aws', aws: AWS, resyncInterval: '24h1s' }),
    field: 'spec.resyncInterval',
    message: 'resyncInterval must be a duration from 1s to 24h',
  },
  {
    name: 'longest grant shorter than a minute',
    object: account({ provider: 'aws', aws: AWS, guardrails: { maxGrantDuration: '30s' } }),
    field: 'spec.guardrails.maxGrantDuration',
    message: 'guardrails.maxGrantDuration must be a duration from 1m to 8760h',
  },
  {
    name: 'longest grant over a year',
    object: account({ provider: 'aws', aws: AWS, guardrails: { maxGrantDuration: '8761h' } }),
    field: 'spec.guardrails.maxGrantDuration',
    message: 'guardrails.maxGrantDuration must be a duration from 1m to 8760h',
  },
  {
    name: 'grant duration over a year',
    object: binding({ identityRef: { name: 'app' }, grants: [GRANT], duration: '10000h' }),
    field: 'spec.duration',
    message: 'duration must be a duration from 1m to 8760h (for a later end, use expiresAt)',
  },
  {
    name: 'grant duration shorter than a minute',
    object: binding({ identityRef: { name: 'app' }, grants: [GRANT], duration: '59s' }),
    field: 'spec.duration',
    message: 'duration must be a duration from 1m to 8760h',
  },
  {
    name: 'expiresAt without a time zone',
    object: binding({ identityRef: { name: 'app' }, grants: [GRANT], expiresAt: '2030-01-01T00:00:00' }),
    field: 'spec.expiresAt',
    message: 'must be of type date-time',
  },
  {
    name: 'expiresAt as a date only',
    object: binding({ identityRef: { name: 'app' }, grants: [GRANT], expiresAt: '2030-01-01' }),
    field: 'spec.expiresAt',
    message: 'must be of type date-time',
  },
  {
    name: 'one ServiceAccount in two subjects',
    object: identity({
      accountRef: { name: 'a' },
      subjects: [{ serviceAccount: { name: 'app' } }, { serviceAccount: { name: 'app', create: true } }],
    }),
    field: 'spec.subjects',
    message: 'each ServiceAccount is named by one subject only',
  },
  {
    name: 'one serverless platform in two subjects',
    object: identity({
      accountRef: { name: 'a' },
      subjects: [
        { serverless: { platform: 'GCPCloudRunFunction', deployers: ['user:ana@example.com'] } },
        { serverless: { platform: 'GCPCloudRunFunction', deployers: ['user:bo@example.com'] } },
      ],
    }),
    field: 'spec.subjects',
    message: 'each serverless platform is named by one subject only',
  },
  {
    name: 'deployers for a platform other than Cloud Run functions',
    object: identity({
      accountRef: { name: 'a' },
      subjects: [{ serverless: { platform: 'AWSLambda', deployers: ['user:ana@example.com'] } }],
    }),
    field: 'spec.subjects[0].serverless.deployers',
    message: 'serverless.deployers is for platform GCPCloudRunFunction only',
  },
  {
    name: 'Lambda functions for a platform other than AWSLambda',
    object: identity({
      accountRef: { name: 'a' },
      subjects: [
        {
          serverless: {
            platform: 'AzureFunction',
            functions: ['arn:aws:lambda:eu-west-1:123456789012:function:orders'],
          },
        },
      ],
    }),
    field: 'spec.subjects[0].serverless.functions',
    message: 'serverless.functions is for platform AWSLambda only',
  },
  {
    name: 'Cloud Run services for a platform other than GCPCloudRunFunction',
    object: identity({
      accountRef: { name: 'a' },
      subjects: [
        {
          serverless: {
            platform: 'AWSLambda',
            services: ['projects/keyless-test/locations/europe-west1/services/orders'],
          },
        },
      ],
    }),
    field: 'spec.subjects[0].serverless.services',
    message: 'serverless.services is for platform GCPCloudRunFunction only',
  },
  {
    name: 'a Cloud Run service named by its URL, not its resource name',
    object: identity({
      accountRef: { name: 'a' },
      subjects: [
        {
          serverless: {
            platform: 'GCPCloudRunFunction',
            services: ['https://orders-abc123-ew.a.run.app'],
          },
        },
      ],
    }),
    field: 'spec.subjects[0].serverless.services[0]',
    message: 'should match',
  },
  {
    name: 'a Lambda function named by an alias, not its own ARN',
    object: identity({
      accountRef: { name: 'a' },
      subjects: [
        {
          serverless: {
            platform: 'AWSLambda',
            functions: ['arn:aws:lambda:eu-west-1:123456789012:function:orders:live'],
          },
        },
      ],
    }),
    field: 'spec.subjects[0].serverless.functions[0]',
    message: 'should match',
  },
  {
    name: 'functionApps for a platform other than Azure Functions',
    object: identity({
      accountRef: { name: 'a' },
      subjects: [
        {
          serverless: {
            platform: 'AWSLambda',
            functionApps: [
              '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Web/sites/fn',
            ],
          },
        },
      ],
    }),
    field: 'spec.subjects[0].serverless.functionApps',
    message: 'serverless.functionApps is for platform AzureFunction only',
  },
  {
    name: 'setClientIdSetting for a platform other than Azure Functions',
    object: identity({
      accountRef: { name: 'a' },
      subjects: [{ serverless: { platform: 'GCPCloudRunFunction', setClientIdSetting: true } }],
    }),
    field: 'spec.subjects[0].serverless.setClientIdSetting',
    message: 'serverless.setClientIdSetting is for platform AzureFunction only',
  },
  {
    name: 'a functionApps entry that is not a site ID',
    object: identity({
      accountRef: { name: 'a' },
      subjects: [
        {
          serverless: {
            platform: 'AzureFunction',
            functionApps: [
              '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/x',
            ],
          },
        },
      ],
    }),
    field: 'spec.subjects[0].serverless.functionApps[0]',
    message: 'should match',
  },
  {
    name: 'a tag in Keyless’s ownership namespace',
    object: identity({
      accountRef: { name: 'a' },
      subjects: SUBJECTS,
      tags: { 'keyless.dev/name': 'other' },
    }),
    field: 'spec.tags',
    message: 'tag keys may not be empty or start with keyless.dev/',
  },
  {
    name: 'a tag with an empty key',
    object: identity({ accountRef: { name: 'a' }, subjects: SUBJECTS, tags: { '': 'x' } }),
    field: 'spec.tags',
    message: 'tag keys may not be empty or start with keyless.dev/',
  },
  {
    name: 'a resource that is no cloud’s resource name',
    object: binding({
      identityRef: { name: 'app' },
      grants: [{ resource: 'shop-invoices', access: 'read' }],
    }),
    field: 'spec.grants[0].resource',
    message: 'resource must be an AWS ARN (arn:...) or *',
  },
  {
    name: 'an action without its service',
    object: binding({
      identityRef: { name: 'app' },
      grants: [{ resource: 'arn:aws:s3:::b', actions: ['s3:GetObject', 'GetObject'] }],
    }),
    field: 'spec.grants[0].actions[1]',
    message: 'each action is an IAM action such as s3:GetObject',
  },
  {
    name: 'a secretRef with ambient credentials',
    object: account({
      provider: 'aws',
      aws: AWS,
      credentials: { source: 'Ambient', secretRef: { name: 'aws', namespace: 'keyless-system' } },
    }),
    field: 'spec.credentials.secretRef',
    message: 'credentials.secretRef is read only when credentials.source is Secret',
  },
  {
    name: 'an identityRef that is no object name',
    object: binding({ identityRef: { name: 'Orders_API' }, grants: [GRANT] }),
    field: 'spec.identityRef.name',
    message: 'should match',
  },
  ...NON_CANONICAL_RESOURCES.map(({ name, resource, message }) => ({
    name: `a grant on ${name}`,
    object: binding({ identityRef: { name: 'app' }, grants: [{ resource, role: 'Reader' }] }),
    field: 'spec.grants[0].resource',
    message,
  })),
  {
    name: 'an allowed Azure resource with a trailing slash',
    object: account({
      provider: 'azure',
      azure: AZURE,
      guardrails: { allowedResources: [`${AZURE_SUB}/resourceGroups/shop-*/`] },
    }),
    field: 'spec.guardrails.allowedResources[0]',
    message: 'has no empty segment (//) and does not end with /',
  },
  {
    name: "an account's resource group named ..",
    object: account({ provider: 'azure', azure: { ...AZURE, resourceGroup: '..' } }),
    field: 'spec.azure.resourceGroup',
    message: 'should match',
  },
  {
    name: "an identity's resource group ending with a period",
    object: identity({ accountRef: { name: 'a' }, subjects: SUBJECTS, azure: { resourceGroup: 'ids.' } }),
    field: 'spec.azure.resourceGroup',
    message: 'should match',
  },
  {
    name: 'an allowed namespace that is no namespace name',
    object: account({ provider: 'aws', aws: AWS, guardrails: { allowedNamespaces: ['Shop'] } }),
    field: 'spec.guardrails.allowedNamespaces[0]',
    message: 'should match',
  },
  {
    name: 'a serverless subject in Google Cloud mode Direct',
    object: identity({
      accountRef: { name: 'a' },
      subjects: [{ serverless: { platform: 'GCPCloudRunFunction' } }],
      gcp: { mode: 'Direct' },
    }),
    field: 'spec.gcp.mode',
    message: 'gcp.mode Direct grants Kubernetes ServiceAccounts only',
  },
  {
    name: 'a Google Cloud mode of neither kind',
    object: identity({ accountRef: { name: 'a' }, subjects: SUBJECTS, gcp: { mode: 'Federated' } }),
    field: 'spec.gcp.mode',
    message: 'Unsupported value',
  },
];

/** Objects at the edges of the schemas' ranges, which they must accept. */
export const VALID_EDGE_OBJECTS: { name: string; object: Record<string, unknown> }[] = [
  {
    name: 'Lambda functions in two regions and another partition',
    object: identity({
      accountRef: { name: 'a' },
      subjects: [
        {
          serverless: {
            platform: 'AWSLambda',
            functions: [
              'arn:aws:lambda:eu-west-1:123456789012:function:orders',
              'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:Orders_2-b',
            ],
          },
        },
      ],
    }),
  },
  {
    name: 'Cloud Run services by project id and by project number',
    object: identity({
      accountRef: { name: 'a' },
      subjects: [
        {
          serverless: {
            platform: 'GCPCloudRunFunction',
            services: [
              'projects/keyless-test/locations/northamerica-northeast1/services/orders',
              `projects/123456789012/locations/europe-west1/services/o${'r'.repeat(47)}s`,
            ],
          },
        },
      ],
    }),
  },
  {
    name: 'a session duration of 1h, in minutes',
    object: identity({ accountRef: { name: 'a' }, subjects: SUBJECTS, maxSessionDuration: '60m' }),
  },
  {
    name: 'a session duration of 12h, in hours and minutes',
    object: identity({ accountRef: { name: 'a' }, subjects: SUBJECTS, maxSessionDuration: '11h60m' }),
  },
  {
    name: 'a resync interval of 1s, in milliseconds',
    object: account({ provider: 'aws', aws: AWS, resyncInterval: '1000ms' }),
  },
  {
    name: 'a resync interval of 24h and grants of at most a minute',
    object: account({
      provider: 'aws',
      aws: AWS,
      resyncInterval: '24h',
      guardrails: { maxGrantDuration: '1m' },
    }),
  },
  {
    name: 'a grant for 8760h',
    object: binding({ identityRef: { name: 'app' }, grants: [GRANT], duration: '8760h' }),
  },
  {
    name: 'a grant for 1.5 minutes',
    object: binding({ identityRef: { name: 'app' }, grants: [GRANT], duration: '1.5m' }),
  },
  {
    name: 'expiresAt with an offset and fractional seconds',
    object: binding({
      identityRef: { name: 'app' },
      grants: [GRANT],
      expiresAt: '2030-06-30T23:59:59.5+02:00',
    }),
  },
  {
    name: 'a ServiceAccount and a serverless subject, tags near Keyless’s own',
    object: identity({
      accountRef: { name: 'a' },
      subjects: [{ serviceAccount: { name: 'app' } }, { serverless: { platform: 'AWSLambda' } }],
      tags: { 'keyless.development': 'yes', team: 'shop' },
    }),
  },
  {
    name: 'grants on every cloud’s resource names, with wildcard actions',
    object: binding({
      identityRef: { name: 'app' },
      grants: [
        { resource: '*', actions: ['s3:List*', 'sqs:Get?ueue*'] },
        { resource: '//storage.googleapis.com/projects/_/buckets/b', access: 'read' },
        {
          resource: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg',
          role: 'Reader',
        },
      ],
    }),
  },
  {
    name: 'resource IDs in any case, with dots inside segments, and ARNs read as text',
    object: binding({
      identityRef: { name: 'app' },
      grants: [
        { resource: `${AZURE_SUB}/RESOURCEGROUPS/Shop.Data..2`, role: 'Reader' },
        { resource: `${BUCKETS}/shop.reports...2026`, access: 'read' },
        { resource: 'arn:aws:s3:::b/../x//y/', actions: ['s3:GetObject'] },
      ],
    }),
  },
  {
    name: 'resource groups with periods inside',
    object: account({ provider: 'azure', azure: { ...AZURE, resourceGroup: 'a.b.(c)' } }),
  },
  {
    name: 'allowed namespaces with globs',
    object: account({
      provider: 'aws',
      aws: AWS,
      guardrails: { allowedNamespaces: ['shop', 'team-*', '*'] },
    }),
  },
  {
    name: 'Google Cloud mode Direct for ServiceAccounts, serverless subjects in mode ServiceAccount',
    object: identity({
      accountRef: { name: 'a' },
      subjects: [{ serviceAccount: { name: 'app' } }, { serverless: { platform: 'GCPCloudRunFunction' } }],
      gcp: { mode: 'ServiceAccount' },
    }),
  },
  {
    name: 'Google Cloud mode Direct',
    object: identity({ accountRef: { name: 'a' }, subjects: SUBJECTS, gcp: { mode: 'Direct' } }),
  },
];

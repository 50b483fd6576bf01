/**
 * Objects the CRD schemas must refuse, with the field the refusal must point at.
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
];

import { describe, expect, it } from 'vitest';
import type { CloudAccountSpec, Grant, WorkloadIdentitySpec } from '../../../../src/api/index.js';
import {
  AWS_LIMITS,
  checkInlinePolicySize,
  desiredRole,
  inlinePolicy,
  inlinePolicyName,
  resolveAwsGrants,
  roleName,
  trustPolicy,
} from '../../../../src/providers/aws/mapping.js';
import { policySize } from '../../../../src/providers/aws/policy-document.js';
import type { GrantRequest, IdentityRequest } from '../../../../src/providers/provider.js';

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC123';
const AWS = { accountId: '123456789012', region: 'eu-west-1', oidcProvider: { issuerUrl: ISSUER } };
const ACCOUNT = { name: 'prod', spec: { provider: 'aws', aws: AWS } as CloudAccountSpec };
const OWNER = { cluster: 'prod-eu', namespace: 'shop', name: 'orders-api', uid: 'u-1' };

function request(
  spec: Partial<WorkloadIdentitySpec> = {},
  account: Partial<CloudAccountSpec> = {},
): IdentityRequest {
  return {
    owner: OWNER,
    account: { name: 'prod', spec: { ...ACCOUNT.spec, ...account } },
    spec: { accountRef: { name: 'prod' }, subjects: [{ serviceAccount: { name: 'orders-api' } }], ...spec },
    adopt: false,
  };
}

describe('role', () => {
  it('has a readable deterministic name within 64 characters, under the account path, with ownership tags', () => {
    const role = desiredRole(request({ tags: { team: 'shop' } }));
    expect(role.name).toMatch(/^keyless-shop-orders-api-[0-9a-f]{8}$/);
    expect(role.path).toBe('/keyless/');
    expect(role.arn).toBe(`arn:aws:iam::123456789012:role/keyless/${role.name}`);
    expect(role.tags).toEqual({
      team: 'shop',
      'keyless.dev/cluster': 'prod-eu',
      'keyless.dev/namespace': 'shop',
      'keyless.dev/name': 'orders-api',
      'keyless.dev/uid': 'u-1',
    });
    expect(role.maxSessionSeconds).toBe(3600);
    expect(role.description).toBe('Managed by Keyless for prod-eu/shop/orders-api');
    const long = roleName({ ...OWNER, namespace: 'n'.repeat(63), name: 'x'.repeat(253) }, AWS);
    expect(long.length).toBeLessThanOrEqual(AWS_LIMITS.roleName);
  });

  it('uses the China partition in cn- regions', () => {
    const role = desiredRole(request({}, { aws: { ...AWS, region: 'cn-north-1' } }));
    expect(role.arn.startsWith('arn:aws-cn:iam::')).toBe(true);
  });

  it.each([
    [
      'account boundary wins',
      'arn:aws:iam::123456789012:policy/account',
      'arn:aws:iam::123456789012:policy/own',
      'arn:aws:iam::123456789012:policy/account',
    ],
    [
      'identity boundary when the account has none',
      undefined,
      'arn:aws:iam::123456789012:policy/own',
      'arn:aws:iam::123456789012:policy/own',
    ],
    ['none', undefined, undefined, undefined],
  ])('permissions boundary: %s', (_name, accountBoundary, ownBoundary, expected) => {
    const role = desiredRole(
      request(ownBoundary ? { aws: { permissionsBoundaryArn: ownBoundary } } : {}, {
        aws: { ...AWS, ...(accountBoundary ? { permissionsBoundaryArn: accountBoundary } : {}) },
      }),
    );
    expect(role.permissionsBoundary).toBe(expected);
  });

  it('refuses a missing boundary the account requires, a session AWS would refuse, and too many tags', () => {
    expect(() => desiredRole(request({}, { guardrails: { requirePermissionsBoundary: true } }))).toThrow(
      /requires a permissions boundary/,
    );
    expect(() => desiredRole(request({ maxSessionDuration: '30m' }))).toThrow(
      /outside what AWS allows for a role \(1h to 12h\)/,
    );
    expect(() => desiredRole(request({ maxSessionDuration: '13h' }))).toThrow(/1h to 12h/);
    const tags = Object.fromEntries(Array.from({ length: 47 }, (_, i) => [`t${i}`, 'v']));
    expect(() => desiredRole(request({ tags }))).toThrow(/at most 50 tags/);
  });
});

describe('trust policy', () => {
  it('federates the cluster issuer for the ServiceAccounts, with sub and aud', () => {
    expect(
      trustPolicy(
        request({ subjects: [{ serviceAccount: { name: 'b' } }, { serviceAccount: { name: 'a' } }] }),
      ),
    ).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ServiceAccounts',
          Effect: 'Allow',
          Principal: {
            Federated: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC123',
          },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: {
              'oidc.eks.eu-west-1.amazonaws.com/id/ABC123:sub': [
                'system:serviceaccount:shop:a',
                'system:serviceaccount:shop:b',
              ],
              'oidc.eks.eu-west-1.amazonaws.com/id/ABC123:aud': 'sts.amazonaws.com',
            },
          },
        },
      ],
    });
  });

  it('adds EKS Pod Identity and Lambda when asked', () => {
    const policy = trustPolicy(
      request(
        {
          subjects: [{ serviceAccount: { name: 'a' } }, { serverless: { platform: 'AWSLambda' } }],
          aws: { podIdentity: true },
        },
        { aws: { ...AWS, eksCluster: { name: 'prod-eu' } } },
      ),
    );
    expect(policy.Statement.map((s) => [s.Sid, s.Principal, s.Action])).toEqual([
      ['ServiceAccounts', expect.anything(), 'sts:AssumeRoleWithWebIdentity'],
      ['EksPodIdentity', { Service: 'pods.eks.amazonaws.com' }, ['sts:AssumeRole', 'sts:TagSession']],
      ['Lambda', { Service: 'lambda.amazonaws.com' }, 'sts:AssumeRole'],
    ]);
  });

  it.each<
    [string, WorkloadIdentitySpec['subjects'], { name: string; region?: string }, Record<string, unknown>]
  >([
    [
      'one ServiceAccount, the account region',
      [{ serviceAccount: { name: 'orders-api' } }],
      { name: 'prod-eu' },
      {
        'aws:SourceAccount': '123456789012',
        'aws:RequestTag/eks-cluster-arn': 'arn:aws:eks:eu-west-1:123456789012:cluster/prod-eu',
        'aws:RequestTag/eks-cluster-name': 'prod-eu',
        'aws:RequestTag/kubernetes-namespace': 'shop',
        'aws:RequestTag/kubernetes-service-account': 'orders-api',
      },
    ],
    [
      'two ServiceAccounts (sorted), a serverless subject left out, the cluster in another region',
      [
        { serviceAccount: { name: 'worker' } },
        { serverless: { platform: 'AWSLambda' } },
        { serviceAccount: { name: 'api' } },
      ],
      { name: 'prod-us', region: 'us-east-1' },
      {
        'aws:SourceAccount': '123456789012',
        'aws:RequestTag/eks-cluster-arn': 'arn:aws:eks:us-east-1:123456789012:cluster/prod-us',
        'aws:RequestTag/eks-cluster-name': 'prod-us',
        'aws:RequestTag/kubernetes-namespace': 'shop',
        'aws:RequestTag/kubernetes-service-account': ['api', 'worker'],
      },
    ],
  ])(
    'narrows EKS Pod Identity to the cluster, namespace and ServiceAccounts: %s',
    (_, subjects, eksCluster, wanted) => {
      const policy = trustPolicy(
        request({ subjects, aws: { podIdentity: true } }, { aws: { ...AWS, eksCluster } }),
      );
      const statement = policy.Statement.find((s) => s.Sid === 'EksPodIdentity');
      expect(statement?.Condition).toEqual({ StringEquals: wanted });
      expect(Object.keys(statement?.Condition ?? {})).toEqual(['StringEquals']);
    },
  );

  it('refuses EKS Pod Identity when the account does not name its cluster', () => {
    expect(() => trustPolicy(request({ aws: { podIdentity: true } }))).toThrow(
      /spec.aws.podIdentity needs the EKS cluster's name in CloudAccount prod \(spec.aws.eksCluster.name\)/,
    );
  });

  it('refuses serverless platforms of other clouds', () => {
    expect(() => trustPolicy(request({ subjects: [{ serverless: { platform: 'AzureFunction' } }] }))).toThrow(
      /AzureFunction cannot assume an AWS role/,
    );
  });
});

describe('grants', () => {
  it.each<[string, Grant, string[], string[]]>([
    [
      'S3 bucket read',
      { resource: 'arn:aws:s3:::shop-invoices', access: 'read' },
      ['s3:GetObject', 's3:ListBucket'],
      ['arn:aws:s3:::shop-invoices', 'arn:aws:s3:::shop-invoices/*'],
    ],
    [
      'S3 prefix write',
      { resource: 'arn:aws:s3:::shop-invoices/2026/*', access: 'write' },
      ['s3:PutObject'],
      ['arn:aws:s3:::shop-invoices/2026/*'],
    ],
    [
      'DynamoDB read',
      { resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders', access: 'read' },
      ['dynamodb:Query'],
      [
        'arn:aws:dynamodb:eu-west-1:123456789012:table/orders',
        'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/index/*',
      ],
    ],
    [
      'SQS write',
      { resource: 'arn:aws:sqs:eu-west-1:123456789012:orders.fifo', access: 'write' },
      ['sqs:SendMessage', 'sqs:ReceiveMessage'],
      ['arn:aws:sqs:eu-west-1:123456789012:orders.fifo'],
    ],
    [
      'SNS write',
      { resource: 'arn:aws:sns:eu-west-1:123456789012:orders', access: 'write' },
      ['sns:Publish'],
      ['arn:aws:sns:eu-west-1:123456789012:orders'],
    ],
    [
      'secret read',
      { resource: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf', access: 'read' },
      ['secretsmanager:GetSecretValue'],
      ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf'],
    ],
    [
      'KMS write',
      { resource: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab', access: 'write' },
      ['kms:Encrypt', 'kms:Decrypt'],
      ['arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab'],
    ],
    [
      'Lambda write',
      { resource: 'arn:aws:lambda:eu-west-1:123456789012:function:render', access: 'write' },
      ['lambda:InvokeFunction'],
      ['arn:aws:lambda:eu-west-1:123456789012:function:render'],
    ],
    [
      'admin',
      { resource: 'arn:aws:s3:::b-1', access: 'admin' },
      ['s3:*'],
      ['arn:aws:s3:::b-1', 'arn:aws:s3:::b-1/*'],
    ],
    [
      'raw actions',
      {
        resource: 'arn:aws:ec2:eu-west-1:123456789012:instance/i-1',
        actions: ['ec2:StartInstances', 'ec2:StopInstances'],
      },
      ['ec2:StartInstances', 'ec2:StopInstances'],
      ['arn:aws:ec2:eu-west-1:123456789012:instance/i-1'],
    ],
  ])('%s', (_name, grant, includes, scopes) => {
    const [resolved] = resolveAwsGrants([grant], ACCOUNT);
    expect(resolved?.permissions).toEqual(expect.arrayContaining(includes));
    expect(resolved?.scopes).toEqual(scopes);
  });

  it('read never includes a write action', () => {
    const [read] = resolveAwsGrants([{ resource: 'arn:aws:s3:::b-1', access: 'read' }], ACCOUNT);
    expect(read?.permissions).not.toContain('s3:PutObject');
  });

  it.each<[string, Grant, RegExp]>([
    [
      'unknown resource type',
      { resource: 'arn:aws:ec2:eu-west-1:123456789012:instance/i-1', access: 'read' },
      /grant 0 \(arn:aws:ec2.*\): no access catalogue entry for ec2 resources/,
    ],
    [
      'a malformed ARN in a raw grant, saying where',
      { resource: 'arn:aws:s3:bucket', actions: ['s3:GetObject'] },
      /grant 0 \(arn:aws:s3:bucket\): the resource is neither \* nor a well-formed ARN: it has 4 of the 6 colon-separated parts/,
    ],
    [
      'a malformed ARN with access, as malformed rather than as missing from the catalogue',
      { resource: 'arn:aws:s3::bucket with spaces', access: 'read' },
      /grant 0 \(arn:aws:s3::bucket with spaces\): the resource is not a well-formed ARN: it has 5 of the 6 colon-separated parts arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE \(arn "arn", partition "aws", service "s3", region "", account "bucket with spaces"\); an S3 ARN leaves region and account empty: arn:aws:s3:::BUCKET, three colons$/,
    ],
    [
      'an ARN of a catalogue service whose resource fits no entry',
      { resource: 'arn:aws:s3:::Bucket With Spaces', access: 'read' },
      /the s3 ARN's resource part "Bucket With Spaces" fits none of the catalogue's s3 entries \(An S3 bucket and every object in it; Objects under a key prefix/,
    ],
    [
      'an ARN in an unknown partition',
      { resource: 'arn:azure:s3:::b-1', access: 'read' },
      /its partition \(part 2\) "azure" is not aws, aws-cn or aws-us-gov/,
    ],
    ['malformed action', { resource: '*', actions: ['s3 GetObject'] }, /s3 GetObject is not an IAM action/],
    ['a role on AWS', { resource: '*', role: 'roles/viewer' }, /AWS grants use access or actions, not role/],
  ])('refuses %s, naming the grant', (_name, grant, message) => {
    expect(() => resolveAwsGrants([grant], ACCOUNT)).toThrow(message);
  });

  it('writes one statement per grant, bounded by aws:CurrentTime when temporary', () => {
    const grants = resolveAwsGrants([{ resource: 'arn:aws:s3:::b-1', access: 'read' }], ACCOUNT);
    const policy = inlinePolicy(grants, new Date('2026-12-01T10:00:00.000Z'));
    expect(policy.Statement[0]).toMatchObject({
      Sid: 'Grant0',
      Effect: 'Allow',
      Resource: ['arn:aws:s3:::b-1', 'arn:aws:s3:::b-1/*'],
      Condition: { DateLessThan: { 'aws:CurrentTime': '2026-12-01T10:00:00Z' } },
    });
    expect(inlinePolicyName(OWNER).length).toBeLessThanOrEqual(128);
  });

  it('refuses, before calling AWS, grants that overflow the 10,240-character inline limit, naming the first that does not fit', () => {
    const grants = resolveAwsGrants(
      Array.from({ length: 40 }, (_, i) => ({
        resource: `arn:aws:dynamodb:eu-west-1:123456789012:table/t-${i}`,
        access: 'write' as const,
      })),
      ACCOUNT,
    );
    const grantRequest: GrantRequest = {
      owner: OWNER,
      account: ACCOUNT,
      identity: { owner: OWNER, externalName: 'r', principal: {} },
      grants,
      expiresAt: undefined,
      previous: [],
      otherGrants: [],
    };
    const size = policySize(inlinePolicy(grants, undefined));
    expect(size).toBeGreaterThan(AWS_LIMITS.inlinePoliciesPerRole);
    expect(() => checkInlinePolicySize(grantRequest, 0)).toThrow(
      /^grant \d+ \(arn:aws:dynamodb:.*\) does not fit: .* over AWS's limit of 10240/,
    );
    const fits: GrantRequest = { ...grantRequest, grants: grants.slice(0, 5) };
    expect(() => checkInlinePolicySize(fits, 0)).not.toThrow();
    expect(() => checkInlinePolicySize(fits, 9_500)).toThrow(
      /grant \d \(.*\) does not fit.*other bindings 9500/,
    );
  });
});

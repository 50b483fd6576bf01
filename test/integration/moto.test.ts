/**
 * moto, the AWS emulator the provider tests run against, with the real AWS SDK clients: what it keeps
 * of a role, how its errors reach the SDK, and IAM enforcement end to end (web identity to S3).
 */
import {
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import {
  awsClientConfig,
  bootstrapAdmin,
  describeWithMoto,
  MOTO_ACCOUNT_ID,
  type MotoCredentials,
  signedStsClient,
} from '../support/moto/index.js';

const ISSUER_HOST = 'oidc.example.test/id/EXAMPLE0123456789';
const OIDC_PROVIDER_ARN = `arn:aws:iam::${MOTO_ACCOUNT_ID}:oidc-provider/${ISSUER_HOST}`;
const SUBJECT = 'system:serviceaccount:shop:orders-api';

function policy(...statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

const WEB_IDENTITY_TRUST = policy({
  Effect: 'Allow',
  Principal: { Federated: OIDC_PROVIDER_ARN },
  Action: 'sts:AssumeRoleWithWebIdentity',
  Condition: {
    StringEquals: { [`${ISSUER_HOST}:sub`]: SUBJECT, [`${ISSUER_HOST}:aud`]: 'sts.amazonaws.com' },
  },
});

/** A JWT-shaped token; moto does not check it (nor the trust policy's conditions). */
function webIdentityToken(): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = { iss: `https://${ISSUER_HOST}`, sub: SUBJECT, aud: 'sts.amazonaws.com', exp: 4102444800 };
  return `${part({ alg: 'RS256', kid: 'test' })}.${part(claims)}.${Buffer.from('not a signature').toString('base64url')}`;
}

/** The error a call rejects with, for assertions on its name and metadata. */
async function rejectionOf(
  call: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await call;
  } catch (error) {
    return error as Error & { $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to fail');
}

describeWithMoto('moto without IAM enforcement, through the AWS SDK', (moto) => {
  let iam: IAMClient;
  let sts: STSClient;

  beforeAll(() => {
    iam = new IAMClient({ ...awsClientConfig(moto().endpoint), maxAttempts: 1 });
    sts = new STSClient({ ...awsClientConfig(moto().endpoint), maxAttempts: 1 });
  });
  afterAll(() => {
    iam?.destroy();
    sts?.destroy();
  });
  beforeEach(async () => {
    await moto().reset();
  });

  it('keeps what CreateRole was given: path, tags, permissions boundary, max session duration, trust', async () => {
    const { Policy: boundary } = await iam.send(
      new CreatePolicyCommand({
        PolicyName: 'keyless-boundary',
        Path: '/keyless/',
        PolicyDocument: policy({ Effect: 'Allow', Action: 's3:*', Resource: '*' }),
      }),
    );
    const tags = [
      { Key: 'keyless.dev/cluster', Value: 'prod-eu' },
      { Key: 'keyless.dev/namespace', Value: 'shop' },
      { Key: 'team', Value: 'shop' },
    ];
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'keyless-shop-orders-api-1a2b3c',
        Path: '/keyless/',
        AssumeRolePolicyDocument: WEB_IDENTITY_TRUST,
        Description: 'shop/orders-api',
        MaxSessionDuration: 7200,
        PermissionsBoundary: boundary?.Arn,
        Tags: tags,
      }),
    );

    const { Role: role } = await iam.send(new GetRoleCommand({ RoleName: 'keyless-shop-orders-api-1a2b3c' }));

    expect(role).toMatchObject({
      Arn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/keyless/keyless-shop-orders-api-1a2b3c`,
      Path: '/keyless/',
      Description: 'shop/orders-api',
      MaxSessionDuration: 7200,
      PermissionsBoundary: {
        PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
        PermissionsBoundaryArn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:policy/keyless/keyless-boundary`,
      },
    });
    expect(role?.Tags).toEqual(expect.arrayContaining(tags));
    expect(role?.Tags).toHaveLength(tags.length);
    // Like AWS, the policy document comes back URL-encoded.
    expect(role?.AssumeRolePolicyDocument).toMatch(/^%7B/);
    expect(JSON.parse(decodeURIComponent(role?.AssumeRolePolicyDocument ?? ''))).toEqual(
      JSON.parse(WEB_IDENTITY_TRUST),
    );
  });

  it('keeps an inline policy (PutRolePolicy, GetRolePolicy returns it URL-encoded)', async () => {
    await iam.send(
      new CreateRoleCommand({ RoleName: 'reader', AssumeRolePolicyDocument: WEB_IDENTITY_TRUST }),
    );
    const document = policy({
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: 'arn:aws:s3:::shop-invoices/*',
    });
    await iam.send(
      new PutRolePolicyCommand({ RoleName: 'reader', PolicyName: 'read', PolicyDocument: document }),
    );

    const inline = await iam.send(new GetRolePolicyCommand({ RoleName: 'reader', PolicyName: 'read' }));

    expect(inline.PolicyName).toBe('read');
    expect(JSON.parse(decodeURIComponent(inline.PolicyDocument ?? ''))).toEqual(JSON.parse(document));
  });

  it('creates an OIDC provider whose ARN is the issuer without https://', async () => {
    const created = await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: `https://${ISSUER_HOST}`,
        ClientIDList: ['sts.amazonaws.com'],
        ThumbprintList: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
        Tags: [{ Key: 'keyless.dev/cluster', Value: 'prod-eu' }],
      }),
    );
    expect(created.OpenIDConnectProviderArn).toBe(OIDC_PROVIDER_ARN);

    const provider = await iam.send(
      new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: OIDC_PROVIDER_ARN }),
    );
    expect(provider).toMatchObject({
      Url: ISSUER_HOST,
      ClientIDList: ['sts.amazonaws.com'],
      ThumbprintList: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
      Tags: [{ Key: 'keyless.dev/cluster', Value: 'prod-eu' }],
    });
  });

  it('answers GetCallerIdentity for the default account', async () => {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe(MOTO_ACCOUNT_ID);
    expect(identity.Arn).toMatch(/^arn:aws:(sts|iam)::123456789012:/);
  });

  it('reports a missing role and a duplicate one as the SDK exceptions AWS would cause', async () => {
    const missing = await rejectionOf(iam.send(new GetRoleCommand({ RoleName: 'nope' })));
    expect(missing.name).toBe('NoSuchEntityException');
    expect(missing.$metadata?.httpStatusCode).toBe(404);

    await iam.send(
      new CreateRoleCommand({ RoleName: 'twice', AssumeRolePolicyDocument: WEB_IDENTITY_TRUST }),
    );
    const duplicate = await rejectionOf(
      iam.send(new CreateRoleCommand({ RoleName: 'twice', AssumeRolePolicyDocument: WEB_IDENTITY_TRUST })),
    );
    expect(duplicate.name).toBe('EntityAlreadyExistsException');
    expect(duplicate.$metadata?.httpStatusCode).toBe(409);
  });

  it('forgets everything on reset()', async () => {
    await iam.send(
      new CreateRoleCommand({ RoleName: 'ephemeral', AssumeRolePolicyDocument: WEB_IDENTITY_TRUST }),
    );
    await moto().reset();
    const error = await rejectionOf(iam.send(new GetRoleCommand({ RoleName: 'ephemeral' })));
    expect(error.name).toBe('NoSuchEntityException');
  });
});

describeWithMoto(
  'moto with IAM enforcement: a web identity reads S3 and may not write',
  (moto) => {
    const bucket = 'shop-invoices';
    const clients: { destroy(): void }[] = [];
    const track = <T extends { destroy(): void }>(client: T): T => {
      clients.push(client);
      return client;
    };
    let admin: MotoCredentials;

    beforeEach(async () => {
      await moto().reset();
      admin = await bootstrapAdmin(moto());
    });
    afterAll(() => {
      for (const client of clients) client.destroy();
    });

    it('refuses calls without a known access key once the bootstrap calls are spent', async () => {
      const anonymous = track(new STSClient({ ...awsClientConfig(moto().endpoint), maxAttempts: 1 }));
      const error = await rejectionOf(anonymous.send(new GetCallerIdentityCommand({})));
      expect(error.name).toBe('InvalidClientTokenId');
      expect(error.$metadata?.httpStatusCode).toBe(403);

      const asAdmin = track(new STSClient({ ...awsClientConfig(moto().endpoint, admin), maxAttempts: 1 }));
      const identity = await asAdmin.send(new GetCallerIdentityCommand({}));
      expect(identity.Arn).toBe(`arn:aws:iam::${MOTO_ACCOUNT_ID}:user/keyless-test-admin`);
    });

    it('lets AssumeRoleWithWebIdentity credentials do what the role allows, and nothing else', async () => {
      const endpoint = moto().endpoint;
      const iam = track(new IAMClient({ ...awsClientConfig(endpoint, admin), maxAttempts: 1 }));
      const s3Admin = track(new S3Client({ ...awsClientConfig(endpoint, admin), forcePathStyle: true }));
      await s3Admin.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3Admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'inv-1.json', Body: '{"total":42}' }));
      const { Role: role } = await iam.send(
        new CreateRoleCommand({ RoleName: 'orders-api', AssumeRolePolicyDocument: WEB_IDENTITY_TRUST }),
      );
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: 'orders-api',
          PolicyName: 'read-invoices',
          PolicyDocument: policy({
            Effect: 'Allow',
            Action: ['s3:GetObject'],
            Resource: `arn:aws:s3:::${bucket}/*`,
          }),
        }),
      );

      const sts = track(signedStsClient(endpoint, admin, { maxAttempts: 1 }));
      const assumed = await sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: role?.Arn,
          RoleSessionName: 'orders-api',
          WebIdentityToken: webIdentityToken(),
        }),
      );
      const credentials: MotoCredentials = {
        accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
        secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
        sessionToken: assumed.Credentials?.SessionToken ?? '',
      };
      expect(assumed.AssumedRoleUser?.Arn).toBe(
        `arn:aws:sts::${MOTO_ACCOUNT_ID}:assumed-role/orders-api/orders-api`,
      );

      const asWorkload = track(
        new S3Client({ ...awsClientConfig(endpoint, credentials), forcePathStyle: true, maxAttempts: 1 }),
      );
      const object = await asWorkload.send(new GetObjectCommand({ Bucket: bucket, Key: 'inv-1.json' }));
      expect(await object.Body?.transformToString()).toBe('{"total":42}');

      const denied = await rejectionOf(
        asWorkload.send(new PutObjectCommand({ Bucket: bucket, Key: 'inv-2.json', Body: '{}' })),
      );
      expect(denied).toBeInstanceOf(S3ServiceException);
      expect(denied.name).toBe('AccessDenied');
      expect(denied.$metadata?.httpStatusCode).toBe(403);
    });

    it('answers an unsigned AssumeRoleWithWebIdentity (the SDK default) with HTTP 500: use signedStsClient', async () => {
      const endpoint = moto().endpoint;
      const iam = track(new IAMClient({ ...awsClientConfig(endpoint, admin), maxAttempts: 1 }));
      const { Role: role } = await iam.send(
        new CreateRoleCommand({ RoleName: 'unsigned', AssumeRolePolicyDocument: WEB_IDENTITY_TRUST }),
      );
      const plain = track(new STSClient({ ...awsClientConfig(endpoint, admin), maxAttempts: 1 }));
      const error = await rejectionOf(
        plain.send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: role?.Arn,
            RoleSessionName: 's',
            WebIdentityToken: webIdentityToken(),
          }),
        ),
      );
      expect(error.$metadata?.httpStatusCode).toBe(500);
    });
  },
  { enforceIam: true },
);

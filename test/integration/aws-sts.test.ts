import { IAMClient } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleWithWebIdentityCommand } from '@aws-sdk/client-sts';
import { expect, it } from 'vitest';
import { AWS_ACCOUNT_NAME, describeWithAws } from '../support/aws-harness.js';
import { identityBinding, waitForCondition, workloadIdentity } from '../support/keyless-objects.js';
import { apply, get, remove, waitFor } from '../support/kube-manifests.js';
import { createLambdaFunction, createLambdaRole, functionArn } from '../support/lambda-functions.js';
import { awsClientConfig, type MotoCredentials, signedStsClient } from '../support/moto/index.js';

const BUCKET = 'shop-invoices';

/**
 * The seed scenario: a pod's ServiceAccount token from the real API server is exchanged at STS for
 * the role Keyless made, and moto's IAM enforcement decides what those credentials may do.
 * Real STS needs no signature on AssumeRoleWithWebIdentity; moto with enforcement on does, so the
 * test's STS client signs it (with the admin's keys; the role is still chosen by the token).
 */
describeWithAws(
  'a workload identity used for real: ServiceAccount token → STS → S3',
  (world) => {
    const s3 = (credentials: MotoCredentials) =>
      new S3Client({ ...awsClientConfig(world.moto().endpoint, credentials), forcePathStyle: true });

    async function assumeRole(roleArn: string, durationSeconds: number, serviceAccount = 'orders-api') {
      const review = await world
        .admin()
        .request<{ status: { token: string } }>(
          'POST',
          `/api/v1/namespaces/shop/serviceaccounts/${serviceAccount}/token`,
          {
            body: {
              apiVersion: 'authentication.k8s.io/v1',
              kind: 'TokenRequest',
              spec: { audiences: ['sts.amazonaws.com'], expirationSeconds: 3600 },
            },
          },
        );
      const claims = JSON.parse(Buffer.from(review.status.token.split('.')[1] ?? '', 'base64url').toString());
      expect(claims).toMatchObject({
        iss: world.controlPlane().issuerUrl,
        aud: ['sts.amazonaws.com'],
        sub: `system:serviceaccount:shop:${serviceAccount}`,
      });
      const sts = signedStsClient(world.moto().endpoint, world.credentials());
      const out = await sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: roleArn,
          RoleSessionName: serviceAccount,
          WebIdentityToken: review.status.token,
          DurationSeconds: durationSeconds,
        }),
      );
      const credentials = out.Credentials;
      if (!credentials?.AccessKeyId || !credentials.SecretAccessKey)
        throw new Error('STS returned no credentials');
      return {
        expiration: credentials.Expiration,
        keys: {
          accessKeyId: credentials.AccessKeyId,
          secretAccessKey: credentials.SecretAccessKey,
          ...(credentials.SessionToken ? { sessionToken: credentials.SessionToken } : {}),
        },
      };
    }

    const canGet = async (keys: MotoCredentials, bucket = BUCKET) =>
      s3(keys)
        .send(new GetObjectCommand({ Bucket: bucket, Key: 'hello.txt' }))
        .then(
          () => true,
          (err: { name?: string }) => (err.name === 'AccessDenied' ? false : Promise.reject(err)),
        );
    const canPut = async (keys: MotoCredentials, bucket = BUCKET) =>
      s3(keys)
        .send(new PutObjectCommand({ Bucket: bucket, Key: `by-pod-${Date.now()}.txt`, Body: 'x' }))
        .then(
          () => true,
          (err: { name?: string }) => (err.name === 'AccessDenied' ? false : Promise.reject(err)),
        );

    it('read grants GetObject only; write adds PutObject; deleting the binding takes both away', async () => {
      await s3(world.credentials()).send(new CreateBucketCommand({ Bucket: BUCKET }));
      await s3(world.credentials()).send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'hello.txt', Body: 'hello' }),
      );
      const identity = workloadIdentity('orders-api', AWS_ACCOUNT_NAME, { maxSessionDuration: '2h' });
      const binding = identityBinding('orders-read', 'orders-api', [
        { resource: `arn:aws:s3:::${BUCKET}`, access: 'read' },
      ]);
      await apply(world.admin(), identity);
      await apply(world.admin(), binding);
      const wi = await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
      await waitForCondition(world.admin(), binding, 'Ready', { status: 'True' });
      const roleArn = wi.status?.principal?.roleArn ?? '';

      const requestedAt = Date.now();
      const session = await assumeRole(roleArn, 7200);
      expect(Math.abs((session.expiration?.getTime() ?? 0) - (requestedAt + 7_200_000))).toBeLessThan(60_000);
      expect(await canGet(session.keys)).toBe(true);
      expect(await canPut(session.keys)).toBe(false);

      await apply(
        world.admin(),
        identityBinding('orders-read', 'orders-api', [
          { resource: `arn:aws:s3:::${BUCKET}`, access: 'write' },
        ]),
      );
      await waitFor('PutObject allowed', () => canPut(session.keys));

      await remove(world.admin(), binding);
      await waitFor('binding gone', async () => (await get(world.admin(), binding)) === undefined);
      expect(await canGet(session.keys)).toBe(false);
      expect(await canPut(session.keys)).toBe(false);
    });

    /**
     * Only Lambda may assume a function's role (moto cannot run a function without Docker, and its
     * AssumeRole trust check fails on a Service principal), so the identity here also trusts a
     * ServiceAccount: its token assumes the role the function's configuration names.
     */
    it("a Lambda function's configured role is the one whose credentials read the bucket", async () => {
      const bucket = 'fn-reports';
      await s3(world.credentials()).send(new CreateBucketCommand({ Bucket: bucket }));
      await s3(world.credentials()).send(
        new PutObjectCommand({ Bucket: bucket, Key: 'hello.txt', Body: 'hi' }),
      );
      const lambda = new LambdaClient(awsClientConfig(world.moto().endpoint, world.credentials()));
      const iam = new IAMClient(awsClientConfig(world.moto().endpoint, world.credentials()));
      const firstRole = await createLambdaRole(iam, 'reports-fn-first');
      await createLambdaFunction(lambda, 'reports-fn', firstRole);
      const configuredRole = async () =>
        (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionArn('reports-fn') })))
          .Role ?? '';

      const identity = workloadIdentity('reports-fn', AWS_ACCOUNT_NAME, {
        subjects: [
          { serviceAccount: { name: 'reports-fn', create: true } },
          { serverless: { platform: 'AWSLambda', functions: [functionArn('reports-fn')] } },
        ],
      });
      const binding = identityBinding('reports-read', 'reports-fn', [
        { resource: `arn:aws:s3:::${bucket}`, access: 'read' },
      ]);
      await apply(world.admin(), identity);
      await apply(world.admin(), binding);
      const wi = await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
      await waitForCondition(world.admin(), binding, 'Ready', { status: 'True' });

      const role = await configuredRole();
      expect(role).not.toBe(firstRole);
      expect(role).toBe(wi.status?.principal?.roleArn);
      const session = await assumeRole(role, 3600, 'reports-fn');
      expect(await canGet(session.keys, bucket)).toBe(true);
      expect(await canPut(session.keys, bucket)).toBe(false);
    });
  },
  { enforceIam: true, resyncInterval: '10s' },
);

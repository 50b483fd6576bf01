import { GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleWithWebIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, expect, it } from 'vitest';
import type { IdentityBindingStatus, WorkloadIdentityStatus } from '../../src/api/index.js';
import { inlinePolicyName } from '../../src/providers/aws/mapping.js';
import { AWS_ACCOUNT_NAME, awsAccount, describeWithAws } from '../support/aws-harness.js';
import {
  conditionOf,
  identityBinding,
  waitForCondition,
  workloadIdentity,
} from '../support/keyless-objects.js';
import { apply, get, waitFor } from '../support/kube-manifests.js';
import { awsClientConfig, signedStsClient } from '../support/moto/index.js';

const BUCKET = 'usage-reports';
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/never-read';
const REVIEW = { interval: '3s', unusedAfter: '6s' };

/**
 * The usage review end to end on moto: moto records RoleLastUsed when the role's credentials are
 * used (GetRole returns it), and lacks IAM's service-last-accessed API, so its two calls are
 * answered by a wire-level shim in front of moto (test/support/last-accessed-shim.ts) through the
 * real @aws-sdk/client-iam. The account reviews every 3 s and calls a grant unused after 6 s.
 */
describeWithAws(
  'the usage review on AWS',
  (world) => {
    const identity = workloadIdentity('reports-api', AWS_ACCOUNT_NAME);
    const binding = identityBinding('reports-grants', 'reports-api', [
      { resource: `arn:aws:s3:::${BUCKET}`, access: 'read' },
      { resource: TABLE, actions: ['dynamodb:GetItem'] },
    ]);
    const statusOf = async <S>(manifest: typeof identity) =>
      ((await get<{ status?: S }>(world.admin(), manifest))?.status ?? {}) as S;

    async function useTheRole(roleArn: string) {
      const token = await world
        .admin()
        .request<{ status: { token: string } }>(
          'POST',
          '/api/v1/namespaces/shop/serviceaccounts/reports-api/token',
          {
            body: {
              apiVersion: 'authentication.k8s.io/v1',
              kind: 'TokenRequest',
              spec: { audiences: ['sts.amazonaws.com'], expirationSeconds: 3600 },
            },
          },
        );
      const sts = signedStsClient(world.moto().endpoint, world.credentials());
      const out = await sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: roleArn,
          RoleSessionName: 'reports-api',
          WebIdentityToken: token.status.token,
        }),
      );
      const keys = {
        accessKeyId: out.Credentials?.AccessKeyId ?? '',
        secretAccessKey: out.Credentials?.SecretAccessKey ?? '',
        sessionToken: out.Credentials?.SessionToken ?? '',
      };
      const s3 = new S3Client({ ...awsClientConfig(world.moto().endpoint, keys), forcePathStyle: true });
      await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'hello.txt' }));
    }

    let reading: ReturnType<typeof setInterval> | undefined;
    /**
     * What AWS would report of a workload that keeps reading S3 and never DynamoDB: the report's S3
     * use is brought up to now every second (two pages, to read the report's Marker).
     */
    function keepReadingS3() {
      const answer = () => {
        const now = new Date();
        world.lastAccessed().answer(
          [
            {
              namespace: 's3',
              name: 'Amazon S3',
              lastAuthenticated: now,
              region: 'us-east-1',
              actions: [{ name: 'GetObject', lastAccessed: now }, { name: 'PutObject' }],
            },
            { namespace: 'dynamodb', name: 'Amazon DynamoDB' },
          ],
          { pageSize: 1 },
        );
      };
      answer();
      reading = setInterval(answer, 1000);
    }
    afterAll(() => clearInterval(reading));

    it('records RoleLastUsed once the credentials are used on S3, per service from the report, and reports the grant never used', async () => {
      const admin = new S3Client({
        ...awsClientConfig(world.moto().endpoint, world.credentials()),
        forcePathStyle: true,
      });
      await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
      await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'hello.txt', Body: 'hi' }));
      await apply(world.admin(), identity);
      await apply(world.admin(), binding);
      const wi = await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
      await waitForCondition(world.admin(), binding, 'Ready', { status: 'True' });

      const usedAt = new Date();
      keepReadingS3();
      await useTheRole(wi.status?.principal?.roleArn ?? '');

      const usage = await waitFor('RoleLastUsed in status.usage', async () => {
        const found = (await statusOf<WorkloadIdentityStatus>(identity)).usage;
        return found?.lastUsed && found.services?.length ? found : undefined;
      });
      expect(usage.source).toBe('RoleLastUsed');
      expect(Math.abs(Date.parse(usage.lastUsed ?? '') - usedAt.getTime())).toBeLessThan(60_000);
      // The shim's report tracks GetObject (used) and PutObject (never used): both are kept.
      expect(
        usage.services?.map((u) => [u.service, u.actions?.map((a) => [a.action, a.lastUsed !== undefined])]),
      ).toEqual([
        [
          's3',
          [
            ['s3:GetObject', true],
            ['s3:PutObject', false],
          ],
        ],
      ]);
      expect(Date.parse(usage.services?.[0]?.lastUsed ?? '')).toBeGreaterThanOrEqual(usedAt.getTime() - 1000);
      expect(usage.error).toBeUndefined();

      const unused = await waitForCondition(world.admin(), binding, 'Unused', { status: 'True' }, 60_000);
      expect(conditionOf(unused, 'Unused')?.message).toMatch(
        /table\/never-read \(dynamodb\): never used since/,
      );
      expect(conditionOf(unused, 'Unused')?.message).not.toContain(BUCKET);
      expect(conditionOf(unused, 'Ready')).toMatchObject({ status: 'True' });
      const grants = (await statusOf<IdentityBindingStatus>(binding)).usage?.grants ?? [];
      expect(grants.map((g) => [g.resource, g.services, g.lastUsed !== undefined])).toEqual([
        [`arn:aws:s3:::${BUCKET}`, ['s3'], true],
        [TABLE, ['dynamodb'], false],
      ]);
    });

    it('reports an identity that was never assumed Unused, and keeps it Ready', async () => {
      const idle = workloadIdentity('idle-api', AWS_ACCOUNT_NAME);
      await apply(world.admin(), idle);
      const found = await waitForCondition(world.admin(), idle, 'Unused', { status: 'True' }, 60_000);
      expect(conditionOf(found, 'Unused')?.message).toMatch(
        /Never used since .* \(RoleLastUsed has no use\)/,
      );
      expect(conditionOf(found, 'Ready')).toMatchObject({ status: 'True', reason: 'Available' });
    });

    it('Revoke removes exactly the unused grant’s statement and leaves the binding Synced False RevokedUnused', async () => {
      const iam = new IAMClient(awsClientConfig(world.moto().endpoint, world.credentials()));
      const wi = await get<{ metadata: { uid: string }; status: WorkloadIdentityStatus }>(
        world.admin(),
        identity,
      );
      const ib = await get<{ metadata: { uid: string; name: string; namespace: string } }>(
        world.admin(),
        binding,
      );
      const policyName = inlinePolicyName({
        cluster: 'it',
        namespace: 'shop',
        name: 'reports-grants',
        uid: ib?.metadata.uid ?? '',
      });
      const statements = async () => {
        const out = await iam.send(
          new GetRolePolicyCommand({ RoleName: wi?.status.externalName ?? '', PolicyName: policyName }),
        );
        return JSON.parse(decodeURIComponent(out.PolicyDocument ?? '{}')).Statement as { Sid: string }[];
      };
      const before = await statements();
      expect(before.map((s) => s.Sid)).toEqual(['Grant0', 'Grant1']);

      const account = awsAccount(world.proxy().endpoint, world.controlPlane().issuerUrl, '2s');
      await apply(world.admin(), {
        ...account,
        spec: { ...(account.spec as Record<string, unknown>), review: { ...REVIEW, action: 'Revoke' } },
      });

      const revoked = await waitForCondition(
        world.admin(),
        binding,
        'Synced',
        { reason: 'RevokedUnused' },
        60_000,
      );
      expect(conditionOf(revoked, 'Synced')).toMatchObject({ status: 'False' });
      expect(conditionOf(revoked, 'Ready')).toMatchObject({ status: 'True' });
      expect((await statusOf<IdentityBindingStatus>(binding)).usage?.revoked).toMatchObject([
        { resource: TABLE },
      ]);
      // Only the DynamoDB grant's statement is gone; the S3 one is as it was, Sid and all.
      expect(await statements()).toEqual([before[0]]);
    });

    it('a refused last-accessed API gives the account UsageReviewed False naming the permission; identities stay Ready', async () => {
      clearInterval(reading);
      world.lastAccessed().forbid();
      const account = awsAccount(world.proxy().endpoint, world.controlPlane().issuerUrl, '2s');
      const refused = await waitForCondition(
        world.admin(),
        account,
        'UsageReviewed',
        {
          status: 'False',
          reason: 'UsageReviewForbidden',
        },
        60_000,
      );
      expect(conditionOf(refused, 'UsageReviewed')?.message).toContain(
        'iam:GenerateServiceLastAccessedDetails',
      );
      expect(conditionOf(refused, 'UsageReviewed')?.message).toContain('iam:GetServiceLastAccessedDetails');
      expect(conditionOf(refused, 'Ready')).toMatchObject({ status: 'True' });
      const wi = await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
      expect(wi.status?.conditions?.find((c) => c.type === 'Synced')).toMatchObject({ status: 'True' });
      // The account gathers every identity's reviews: this one's refused review may come a review interval later.
      const failed = await waitFor("the identity's refused review in status.usage.error", async () => {
        const usage = (await statusOf<WorkloadIdentityStatus>(identity)).usage;
        return usage?.error ? usage : undefined;
      });
      expect(failed.error?.reason).toBe('UsageReviewForbidden');

      world.lastAccessed().answer([]);
      await waitForCondition(
        world.admin(),
        account,
        'UsageReviewed',
        { status: 'True', reason: 'Reviewed' },
        60_000,
      );
    });
  },
  { enforceIam: true, resyncInterval: '2s', review: REVIEW },
);

import { expect, it } from 'vitest';
import { accountId, ownerDescription } from '../../src/providers/gcp/mapping.js';
import { type CloudBackend, cloudAccount, describeWithCloud } from '../support/cloud-world.js';
import { type GcpFake, startGcpFake } from '../support/gcp-fake/index.js';
import {
  conditionOf,
  identityBinding,
  waitForCondition,
  withAdoption,
  workloadIdentity,
} from '../support/keyless-objects.js';
import { apply, get, type Manifest, remove, waitFor } from '../support/kube-manifests.js';

const PROJECT = { projectId: 'keyless-test', projectNumber: '123456789012' };
/** A project of its own for an account that resyncs only hourly. */
const SLOW_PROJECT = { projectId: 'keyless-slow', projectNumber: '223456789012' };
const ACCOUNT = 'gcp-test';
const POOL = 'keyless-test.svc.id.goog';
const BUCKET = '//storage.googleapis.com/projects/_/buckets/shop-reports';
const FOREIGN = { role: 'roles/viewer', members: ['user:ana@example.com'] };
const FOREIGN_CONDITIONAL = {
  role: 'roles/storage.objectViewer',
  members: ['group:data@example.com'],
  condition: {
    title: 'theirs',
    expression:
      '(resource.name == "projects/_/buckets/theirs" || resource.name.startsWith("projects/_/buckets/theirs/"))',
  },
};

interface GcpBackend extends CloudBackend {
  fake: GcpFake;
}

const emailOf = (name: string, projectId = PROJECT.projectId) =>
  `${accountId({ cluster: 'it', namespace: 'shop', name, uid: '' })}@${projectId}.iam.gserviceaccount.com`;

describeWithCloud<GcpBackend>(
  'the Google Cloud provider against the wire-level fake',
  {
    accountName: ACCOUNT,
    async start() {
      const fake = await startGcpFake({ projects: [PROJECT, SLOW_PROJECT], consistencyDelayMs: 300 });
      fake.state.editProjectPolicy(PROJECT.projectId, (p) => ({
        ...p,
        version: 3,
        bindings: [FOREIGN, FOREIGN_CONDITIONAL],
      }));
      return { fake, endpoint: fake.endpoint, secretData: { access_token: 'test' }, stop: () => fake.stop() };
    },
    accountSpec: () => ({
      provider: 'gcp',
      gcp: { ...PROJECT, workloadIdentityPool: POOL },
      guardrails: { deniedActions: ['iam.serviceAccountKeys.create'] },
    }),
  },
  (world) => {
    const fake = () => world.backend().fake;
    const state = () => fake().state;
    const projectPolicy = () => state().projectPolicy(PROJECT.projectId);

    it('creates a service account whose only users are the ServiceAccount, and annotates it', async () => {
      const identity = workloadIdentity('reports', ACCOUNT, { gcp: { displayName: 'Shop reports' } });
      await apply(world.admin(), identity);
      const wi = await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });

      const email = emailOf('reports');
      expect(wi.status?.principal).toMatchObject({ id: email, email });
      const account = state().serviceAccount(email);
      expect(account).toMatchObject({
        displayName: 'Shop reports',
        description: ownerDescription({
          cluster: 'it',
          namespace: 'shop',
          name: 'reports',
          uid: (wi.metadata as { uid?: string }).uid ?? '',
        }),
      });
      expect(state().serviceAccountPolicy(email).bindings).toEqual([
        { role: 'roles/iam.workloadIdentityUser', members: [`serviceAccount:${POOL}[shop/reports]`] },
      ]);
      const sa = await world
        .admin()
        .request<Manifest>('GET', '/api/v1/namespaces/shop/serviceaccounts/reports');
      expect((sa.metadata.annotations as Record<string, string>)['iam.gke.io/gcp-service-account']).toBe(
        email,
      );
    });

    it('grants on a bucket with a resource.name condition, leaving every foreign member and binding alone', async () => {
      const binding = identityBinding('reports-read', 'reports', [{ resource: BUCKET, access: 'read' }]);
      await apply(world.admin(), binding);
      await waitForCondition(world.admin(), binding, 'Ready', { status: 'True' });

      const bindings = projectPolicy().bindings ?? [];
      expect(bindings).toContainEqual(FOREIGN);
      expect(bindings).toContainEqual(FOREIGN_CONDITIONAL);
      expect(bindings).toContainEqual({
        role: 'roles/storage.objectViewer',
        members: [`serviceAccount:${emailOf('reports')}`],
        condition: expect.objectContaining({
          expression:
            '(resource.name == "projects/_/buckets/shop-reports" || resource.name.startsWith("projects/_/buckets/shop-reports/"))',
        }),
      });
      expect(projectPolicy().version).toBe(3);
    });

    it('keeps the guardrail deny policy on the project for the identities it manages', async () => {
      const deny = await waitFor('the deny policy', () =>
        state().denyPolicy(PROJECT.projectId, 'keyless-guardrails'),
      );
      expect(deny.rules?.[0]?.denyRule).toMatchObject({
        deniedPermissions: ['iam.googleapis.com/serviceAccountKeys.create'],
        deniedPrincipals: [`principal://iam.googleapis.com/projects/-/serviceAccounts/${emailOf('reports')}`],
      });
    });

    it('puts a new service account in the deny policy within seconds, not at the next resync, and takes it out when it goes', async () => {
      const account = cloudAccount(
        'gcp-hourly',
        {
          provider: 'gcp',
          gcp: { ...SLOW_PROJECT, workloadIdentityPool: POOL },
          guardrails: { deniedActions: ['iam.serviceAccountKeys.create'] },
          resyncInterval: '1h',
        },
        fake().endpoint,
      );
      await apply(world.admin(), account);
      await waitForCondition(world.admin(), account, 'Ready', { status: 'True' });
      const denied = () => state().denyPolicy(SLOW_PROJECT.projectId, 'keyless-guardrails');
      const identity = workloadIdentity('prompt', 'gcp-hourly');

      await apply(world.admin(), identity);
      await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
      const deny = await waitFor('the new service account in the deny policy', () => denied(), 10_000);
      expect(deny.rules?.[0]?.denyRule?.deniedPrincipals).toEqual([
        `principal://iam.googleapis.com/projects/-/serviceAccounts/${emailOf('prompt', SLOW_PROJECT.projectId)}`,
      ]);

      await remove(world.admin(), identity);
      await waitFor('the deny policy gone with its last member', () => denied() === undefined, 10_000);
      await remove(world.admin(), account);
      await waitFor('the hourly account gone', async () => (await get(world.admin(), account)) === undefined);
    });

    it('corrects an extra member on its own service account and a removed grant; reports them under Report', async () => {
      const email = emailOf('reports');
      state().editServiceAccountPolicy(email, (p) => ({
        ...p,
        bindings: [
          {
            role: 'roles/iam.workloadIdentityUser',
            members: [`serviceAccount:${POOL}[shop/reports]`, 'user:mallory@example.com'],
          },
        ],
      }));
      state().editProjectPolicy(PROJECT.projectId, (p) => ({
        ...p,
        bindings: (p.bindings ?? []).filter((b) => !(b.members ?? []).includes(`serviceAccount:${email}`)),
      }));
      await waitFor('trust and grant corrected', () => {
        const trust = state().serviceAccountPolicy(email).bindings?.[0]?.members ?? [];
        const granted = (projectPolicy().bindings ?? []).some((b) =>
          (b.members ?? []).includes(`serviceAccount:${email}`),
        );
        return trust.length === 1 && granted;
      });

      const reporter = workloadIdentity('watchful', ACCOUNT, { driftPolicy: 'Report' });
      await apply(world.admin(), reporter);
      await waitForCondition(world.admin(), reporter, 'Ready', { status: 'True' });
      state().editServiceAccountPolicy(emailOf('watchful'), (p) => ({
        ...p,
        bindings: [
          {
            role: 'roles/iam.workloadIdentityUser',
            members: [`serviceAccount:${POOL}[shop/watchful]`, 'user:mallory@example.com'],
          },
        ],
      }));
      const drifted = await waitForCondition(world.admin(), reporter, 'Drifted', { status: 'True' });
      expect(drifted.status?.drift).toEqual([
        {
          field: 'iamPolicy[roles/iam.workloadIdentityUser]',
          wanted: `["serviceAccount:${POOL}[shop/watchful]"]`,
          found: `["serviceAccount:${POOL}[shop/watchful]","user:mallory@example.com"]`,
        },
      ]);
    });

    it('converges 50 bindings in one project without losing a member, coalescing their policy writes', async () => {
      const identity = workloadIdentity('crowd', ACCOUNT);
      await apply(world.admin(), identity);
      await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
      fake().resetCounts();
      const bindings = Array.from({ length: 50 }, (_, i) =>
        identityBinding(`crowd-${i}`, 'crowd', [
          { resource: `//storage.googleapis.com/projects/_/buckets/crowd-${i}`, access: 'read' },
        ]),
      );
      await Promise.all(bindings.map((b) => apply(world.admin(), b)));
      await waitFor(
        'all 50 bindings Ready',
        async () => {
          const ready = await Promise.all(
            bindings.map(async (b) => conditionOf(await get(world.admin(), b), 'Ready')?.status === 'True'),
          );
          return ready.every(Boolean);
        },
        60_000,
      );
      const member = `serviceAccount:${emailOf('crowd')}`;
      const mine = (projectPolicy().bindings ?? []).filter((b) => (b.members ?? []).includes(member));
      expect(new Set(mine.map((b) => b.condition?.expression)).size).toBe(50);
      expect(projectPolicy().bindings).toContainEqual(FOREIGN);
      expect(projectPolicy().bindings).toContainEqual(FOREIGN_CONDITIONAL);
      const setCalls = fake().counts()['projects.setIamPolicy'] ?? 0;
      console.info(`50 bindings in one project: ${setCalls} projects.setIamPolicy calls`);
      expect(setCalls).toBeGreaterThan(0);
      expect(setCalls).toBeLessThan(50);
    });

    it('puts a temporary grant behind request.time and removes it when it ends', async () => {
      const soon = new Date(Date.now() + 8_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const binding = identityBinding(
        'reports-brief',
        'reports',
        [{ resource: '//bigquery.googleapis.com/projects/keyless-test/datasets/analytics', access: 'read' }],
        { expiresAt: soon },
      );
      await apply(world.admin(), binding);
      await waitForCondition(world.admin(), binding, 'Ready', { status: 'True' });
      const temporary = (projectPolicy().bindings ?? []).find((b) => b.role === 'roles/bigquery.dataViewer');
      expect(temporary?.condition?.expression).toBe(
        `(resource.name == "projects/keyless-test/datasets/analytics" || resource.name.startsWith("projects/keyless-test/datasets/analytics/")) && request.time < timestamp("${soon}")`,
      );
      await waitForCondition(world.admin(), binding, 'Ready', { status: 'False', reason: 'Expired' }, 20_000);
      expect((projectPolicy().bindings ?? []).some((b) => b.role === 'roles/bigquery.dataViewer')).toBe(
        false,
      );
    });

    it('refuses Pub/Sub topics with a clear condition, before any policy call', async () => {
      fake().resetCounts();
      const binding = identityBinding('reports-pubsub', 'reports', [
        { resource: '//pubsub.googleapis.com/projects/keyless-test/topics/orders', access: 'write' },
      ]);
      await apply(world.admin(), binding);
      const refused = await waitForCondition(world.admin(), binding, 'Synced', {
        status: 'False',
        reason: 'UnsupportedResource',
      });
      expect(conditionOf(refused, 'Synced')?.message).toContain('Pub/Sub does not recognise IAM conditions');
      expect(fake().counts()['projects.setIamPolicy'] ?? 0).toBe(0);
    });

    it('observes only under ObserveOnly, refuses an account it does not own, and adopts it when asked', async () => {
      fake().resetCounts();
      const observed = workloadIdentity('observed', ACCOUNT, { managementPolicy: 'ObserveOnly' });
      await apply(world.admin(), observed);
      await waitForCondition(world.admin(), observed, 'Ready', {
        status: 'False',
        reason: 'NotFoundInCloud',
      });
      const writes = Object.keys(fake().counts()).filter((op) =>
        /create|patch|setIamPolicy|delete|update/.test(op),
      );
      expect(writes.filter((op) => !op.startsWith('denyPolicies'))).toEqual([]);

      state().createServiceAccount(
        PROJECT.projectId,
        accountId({ cluster: 'it', namespace: 'shop', name: 'legacy', uid: '' }),
        {
          displayName: 'hand made',
          description: 'made by hand',
        },
      );
      const legacy = workloadIdentity('legacy', ACCOUNT);
      await apply(world.admin(), legacy);
      await waitForCondition(world.admin(), legacy, 'Synced', { status: 'False', reason: 'NotOwned' });
      expect(state().serviceAccount(emailOf('legacy'))?.description).toBe('made by hand');
      await apply(world.admin(), withAdoption(legacy));
      await waitForCondition(world.admin(), legacy, 'Ready', { status: 'True' });
      expect(state().serviceAccount(emailOf('legacy'))?.description).toContain('Managed by Keyless');
    });

    it('removes its members and then the account on delete, retains under Retain, and never touches foreign members', async () => {
      const kept = workloadIdentity('kept', ACCOUNT, { deletionPolicy: 'Retain' });
      await apply(world.admin(), kept);
      await waitForCondition(world.admin(), kept, 'Ready', { status: 'True' });
      const bindings = ['reports-read', 'reports-brief', 'reports-pubsub'].map((name) =>
        identityBinding(name, 'reports', []),
      );
      for (const object of [...bindings, kept, workloadIdentity('reports', ACCOUNT)])
        await remove(world.admin(), object);
      await waitFor(
        'reports gone',
        async () => (await get(world.admin(), workloadIdentity('reports', ACCOUNT))) === undefined,
        30_000,
      );
      await waitFor('kept gone', async () => (await get(world.admin(), kept)) === undefined);
      expect(state().serviceAccount(emailOf('reports'))).toBeUndefined();
      expect(state().serviceAccount(emailOf('kept'))).toBeDefined();
      const members = (projectPolicy().bindings ?? []).flatMap((b) => b.members ?? []);
      expect(members).not.toContain(`serviceAccount:${emailOf('reports')}`);
      expect(projectPolicy().bindings).toContainEqual(FOREIGN);
      expect(projectPolicy().bindings).toContainEqual(FOREIGN_CONDITIONAL);
    });

    it('stays within its call budget: first converge, then reads only', async () => {
      const identity = workloadIdentity('budget', ACCOUNT);
      const binding = identityBinding('budget-read', 'budget', [
        { resource: '//storage.googleapis.com/projects/_/buckets/budget', access: 'read' },
      ]);
      fake().resetCounts();
      await apply(world.admin(), identity);
      await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
      await apply(world.admin(), binding);
      await waitForCondition(world.admin(), binding, 'Ready', { status: 'True' });
      const converge = fake().counts();
      console.info(`first converge of one identity and one binding: ${JSON.stringify(converge)}`);
      expect(converge['serviceAccounts.create']).toBe(1);
      expect(converge['serviceAccounts.setIamPolicy']).toBe(1);
      expect(converge['projects.setIamPolicy']).toBe(1);

      // The account's deny policy takes the new principal once its wake-up has settled: that write
      // belongs to the converge, so the steady window starts after it.
      await waitFor('the deny policy to name the new service account', async () =>
        JSON.stringify(state().denyPolicy(PROJECT.projectId, 'keyless-guardrails') ?? {}).includes(
          emailOf('budget'),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      fake().resetCounts();
      await new Promise((resolve) => setTimeout(resolve, 4_500));
      const steady = fake().counts();
      const writes = Object.keys(steady).filter((op) => /create|patch|setIamPolicy|delete|update/.test(op));
      expect(writes).toEqual([]);
    });
  },
);

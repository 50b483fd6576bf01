/**
 * Google Cloud mode Direct, end to end: the operator on a real API server against the Google Cloud
 * wire-level fake through the real SDK clients. Grants name the Kubernetes ServiceAccounts' own
 * principals; no service account is created; switching mode either way leaves only the new mode's
 * members and every foreign member in place.
 */
import { expect, it } from 'vitest';
import { accountId } from '../../src/providers/gcp/mapping.js';
import { cloudAccount, describeWithCloud } from '../support/cloud-world.js';
import { GCP_ACCOUNT_NAME as ACCOUNT, gcpWorld } from '../support/gcp-world.js';
import {
  conditionOf,
  identityBinding,
  type Observed,
  waitForCondition,
  workloadIdentity,
} from '../support/keyless-objects.js';
import { apply, get, type Manifest, remove, waitFor } from '../support/kube-manifests.js';

const PROJECT = { projectId: 'keyless-direct', projectNumber: '423456789012' };
/** The project of a cluster whose pool is not in the account's project. */
const FLEET = { projectId: 'keyless-fleet', projectNumber: '523456789012' };
const RESOURCES = { projectId: 'keyless-resources', projectNumber: '623456789012' };
const POOL = `${PROJECT.projectId}.svc.id.goog`;
const BUCKET = '//storage.googleapis.com/projects/_/buckets/direct-reports';
const FOREIGN = { role: 'roles/viewer', members: ['user:ana@example.com'] };
const FOREIGN_SA = `shared@${PROJECT.projectId}.iam.gserviceaccount.com`;
const FOREIGN_SA_MEMBER = { role: 'roles/iam.serviceAccountViewer', members: ['group:ops@example.com'] };
const ANNOTATION = 'iam.gke.io/gcp-service-account';

const principalOf = (serviceAccount: string) =>
  `principal://iam.googleapis.com/projects/${PROJECT.projectNumber}/locations/global/workloadIdentityPools/${POOL}/subject/ns/shop/sa/${serviceAccount}`;
const emailOf = (name: string) =>
  `${accountId({ cluster: 'it', namespace: 'shop', name, uid: '' })}@${PROJECT.projectId}.iam.gserviceaccount.com`;

describeWithCloud(
  'Google Cloud mode Direct against the wire-level fake',
  // The account makes Direct the default; identities may still ask for ServiceAccount.
  gcpWorld(
    PROJECT,
    { gcp: { defaultMode: 'Direct' }, guardrails: { deniedActions: ['storage.buckets.delete'] } },
    { projects: [FLEET, RESOURCES] },
  ),
  (world) => {
    const fake = () => world.backend().fake;
    const state = () => fake().state;
    const projectPolicy = () => state().projectPolicy(PROJECT.projectId);
    const membersOf = (role: string) =>
      (projectPolicy().bindings ?? []).filter((b) => b.role === role).flatMap((b) => b.members ?? []);
    const annotationsOf = async (name: string) =>
      ((await world.admin().request<Manifest>('GET', `/api/v1/namespaces/shop/serviceaccounts/${name}`))
        .metadata.annotations ?? {}) as Record<string, string>;
    const writes = (counts: Record<string, number>) =>
      Object.keys(counts).filter((op) => /create|patch|setIamPolicy|delete|update/.test(op));

    it('grants the ServiceAccount’s principal in project and resource policies, beside foreign members, creating nothing in IAM', async () => {
      state().editProjectPolicy(PROJECT.projectId, (p) => ({ ...p, version: 3, bindings: [FOREIGN] }));
      state().createServiceAccount(PROJECT.projectId, 'shared');
      state().setServiceAccountPolicy(FOREIGN_SA, { bindings: [FOREIGN_SA_MEMBER] });
      fake().resetCounts();

      const identity = workloadIdentity('reports', ACCOUNT);
      await apply(world.admin(), identity);
      const wi = await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
      expect(wi.status?.principal).toEqual({ id: principalOf('reports'), members: [principalOf('reports')] });

      const binding = identityBinding(
        'reports-read',
        'reports',
        [
          { resource: BUCKET, access: 'read' },
          {
            resource: `//iam.googleapis.com/projects/${PROJECT.projectId}/serviceAccounts/${FOREIGN_SA}`,
            access: 'read',
          },
        ],
        { duration: '2h' },
      );
      await apply(world.admin(), binding);
      const ib = await waitForCondition(world.admin(), binding, 'Ready', { status: 'True' });
      const converge = fake().counts() as Record<string, number>;
      console.info(
        `mode Direct, first converge of one identity and one binding: ${JSON.stringify(converge)}`,
      );

      expect(Object.keys(converge).filter((op) => op.startsWith('serviceAccounts.create'))).toEqual([]);
      expect(
        state()
          .serviceAccounts(PROJECT.projectId)
          .map((a) => a.email),
      ).toEqual([FOREIGN_SA]);
      expect(await annotationsOf('reports')).not.toHaveProperty(ANNOTATION);
      expect((ib.status as { members?: string[] }).members).toEqual([principalOf('reports')]);

      const expiry = /request\.time < timestamp\("[^"]+Z"\)/;
      expect(projectPolicy().bindings).toContainEqual(FOREIGN);
      const bucketGrant = (projectPolicy().bindings ?? []).find(
        (b) => b.role === 'roles/storage.objectViewer',
      );
      expect(bucketGrant?.members).toEqual([principalOf('reports')]);
      expect(bucketGrant?.condition?.expression).toContain(
        'resource.name == "projects/_/buckets/direct-reports"',
      );
      expect(bucketGrant?.condition?.expression).toMatch(expiry);
      const onAccount = state().serviceAccountPolicy(FOREIGN_SA).bindings ?? [];
      expect(onAccount).toContainEqual(FOREIGN_SA_MEMBER);
      const viewer = onAccount.find((b) => b.role === 'roles/iam.serviceAccountViewer' && b.condition);
      expect(viewer?.members).toEqual([principalOf('reports')]);
      expect(viewer?.condition?.expression).toMatch(expiry);

      // The guardrail deny policy names the principal too.
      const deny = await waitFor('the principal in the deny policy', () => {
        const policy = state().denyPolicy(PROJECT.projectId, 'keyless-guardrails');
        return policy?.rules?.[0]?.denyRule?.deniedPrincipals?.includes(principalOf('reports'))
          ? policy
          : undefined;
      });
      expect(deny.rules?.[0]?.denyRule?.deniedPermissions).toEqual(['storage.googleapis.com/buckets.delete']);

      await new Promise((resolve) => setTimeout(resolve, 1_000));
      fake().resetCounts();
      await new Promise((resolve) => setTimeout(resolve, 4_500));
      const steady = fake().counts() as Record<string, number>;
      console.info(`mode Direct, steady state over 4.5 s: ${JSON.stringify(steady)}`);
      expect(writes(steady)).toEqual([]);
    });

    it('refuses a grant for a role only a service account can hold, and a serverless subject, before any call', async () => {
      const worker = identityBinding('reports-worker', 'reports', [
        { resource: BUCKET, role: 'roles/dataflow.worker' },
      ]);
      fake().resetCounts();
      await apply(world.admin(), worker);
      const refused = await waitForCondition(world.admin(), worker, 'Synced', {
        status: 'False',
        reason: 'DirectAccessUnsupported',
      });
      expect(conditionOf(refused, 'Synced')?.message).toMatch(
        /roles\/dataflow\.worker.*set spec\.gcp\.mode ServiceAccount/,
      );
      expect(writes(fake().counts() as Record<string, number>)).toEqual([]);
      expect(membersOf('roles/dataflow.worker')).toEqual([]);

      // Direct from the account's default: the CRD cannot see it, the provider refuses it.
      const fn = workloadIdentity('fn', ACCOUNT, {
        subjects: [{ serverless: { platform: 'GCPCloudRunFunction' } }],
      });
      await apply(world.admin(), fn);
      const stopped = await waitForCondition(world.admin(), fn, 'Synced', {
        status: 'False',
        reason: 'InvalidSpec',
      });
      expect(conditionOf(stopped, 'Synced')?.message).toMatch(/gcp mode Direct does not create/);
      await remove(world.admin(), worker);
      await remove(world.admin(), fn);
    });

    it('switches to mode ServiceAccount and back, leaving only the current mode’s members and every foreign one', async () => {
      const email = emailOf('switcher');
      const identity = (mode: string) => workloadIdentity('switcher', ACCOUNT, { gcp: { mode } });
      const binding = identityBinding('switcher-read', 'switcher', [{ resource: BUCKET, access: 'read' }]);
      const objectViewers = () => membersOf('roles/storage.objectViewer');

      await apply(world.admin(), identity('ServiceAccount'));
      await waitForCondition(world.admin(), identity('ServiceAccount'), 'Ready', { status: 'True' });
      await apply(world.admin(), binding);
      await waitFor('the service account member', () => objectViewers().includes(`serviceAccount:${email}`));
      expect(state().serviceAccount(email)).toBeDefined();
      expect((await annotationsOf('switcher'))[ANNOTATION]).toBe(email);

      await apply(world.admin(), identity('Direct'));
      await waitFor('mode Direct applied', async () => {
        const members = objectViewers();
        return (
          members.includes(principalOf('switcher')) &&
          // Nor the form Google Cloud gives a member whose service account is deleted.
          !members.some((m) => m.includes(email)) &&
          state().serviceAccount(email) === undefined &&
          !(ANNOTATION in (await annotationsOf('switcher')))
        );
      });
      expect(projectPolicy().bindings).toContainEqual(FOREIGN);
      expect(objectViewers()).toContain(principalOf('reports'));

      await apply(world.admin(), identity('ServiceAccount'));
      await waitFor('mode ServiceAccount applied again', async () => {
        const members = objectViewers();
        return (
          members.includes(`serviceAccount:${email}`) &&
          !members.includes(principalOf('switcher')) &&
          (await annotationsOf('switcher'))[ANNOTATION] === email
        );
      });
      expect(projectPolicy().bindings).toContainEqual(FOREIGN);
      expect(objectViewers()).toContain(principalOf('reports'));
      const wi = await get<Observed>(world.admin(), identity('ServiceAccount'));
      expect(wi?.status?.principal).toEqual({ id: email, email });
    });

    it('asks Resource Manager once per account for the number of a pool in another project', async () => {
      const account = cloudAccount(
        'gcp-fleet',
        {
          provider: 'gcp',
          gcp: {
            ...RESOURCES,
            workloadIdentityPool: `${FLEET.projectId}.svc.id.goog`,
            defaultMode: 'Direct',
          },
        },
        fake().endpoint,
      );
      await apply(world.admin(), account);
      await waitForCondition(world.admin(), account, 'Ready', { status: 'True' });
      fake().resetCounts();
      const first = workloadIdentity('fleet-a', 'gcp-fleet');
      const second = workloadIdentity('fleet-b', 'gcp-fleet');
      for (const identity of [first, second]) await apply(world.admin(), identity);
      for (const identity of [first, second]) {
        const wi = await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
        expect((wi.status?.principal as { members?: string[] } | undefined)?.members).toEqual([
          `principal://iam.googleapis.com/projects/${FLEET.projectNumber}/locations/global/workloadIdentityPools/${FLEET.projectId}.svc.id.goog/subject/ns/shop/sa/${identity.metadata.name}`,
        ]);
      }
      // Resyncs (every 2 s) reuse the number.
      await new Promise((resolve) => setTimeout(resolve, 4_500));
      expect((fake().counts() as Record<string, number>)['projects.get']).toBe(1);
      for (const identity of [first, second]) await remove(world.admin(), identity);
    });

    it('removes only its own members when Direct bindings and identities are deleted', async () => {
      for (const name of ['switcher-read', 'reports-read'])
        await remove(world.admin(), identityBinding(name, '', []));
      for (const name of ['switcher', 'reports'])
        await remove(world.admin(), workloadIdentity(name, ACCOUNT));
      await waitFor(
        'the identities gone',
        async () =>
          (await get(world.admin(), workloadIdentity('reports', ACCOUNT))) === undefined &&
          (await get(world.admin(), workloadIdentity('switcher', ACCOUNT))) === undefined,
        30_000,
      );
      const members = (projectPolicy().bindings ?? []).flatMap((b) => b.members ?? []);
      expect(members.filter((m) => m.startsWith('principal://') || m.includes(emailOf('switcher')))).toEqual(
        [],
      );
      expect(projectPolicy().bindings).toContainEqual(FOREIGN);
      expect(state().serviceAccountPolicy(FOREIGN_SA).bindings).toEqual([FOREIGN_SA_MEMBER]);
      expect(
        state()
          .serviceAccounts(PROJECT.projectId)
          .map((a) => a.email),
      ).toEqual([FOREIGN_SA]);
    });
  },
);

import { expect, it } from 'vitest';
import { KubeSecretReader } from '../../src/cluster/secret-reader.js';
import { KubeClient } from '../../src/kube-api/client.js';
import { assignmentName, identityName } from '../../src/providers/azure/mapping.js';
import { createAzureProvider } from '../../src/providers/azure/provider.js';
import { cloudRegistry } from '../../src/providers/registry/registry.js';
import {
  AZURE_ACCOUNT_NAME as ACCOUNT,
  type AzureBackend,
  azureWorld,
  AZURE_RESOURCE_GROUP as RG,
  AZURE_SUBSCRIPTION as SUB,
  AZURE_TENANT as TENANT,
} from '../support/azure-world.js';
import { describeWithCloud } from '../support/cloud-world.js';
import {
  conditionOf,
  eventsIn,
  identityBinding,
  waitForAccountReady,
  waitForCondition,
  withAdoption,
  workloadIdentity,
} from '../support/keyless-objects.js';
import { apply, get, type Manifest, remove, waitFor } from '../support/kube-manifests.js';

const VAULT = `/subscriptions/${SUB}/resourceGroups/shop/providers/Microsoft.KeyVault/vaults/shop-billing`;
const SECRETS_USER = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`;

const ref = (name: string) => ({
  subscriptionId: SUB,
  resourceGroup: RG,
  name: identityName({ cluster: 'it', namespace: 'shop', name, uid: '' }),
});

describeWithCloud<AzureBackend>(
  'the Azure provider against the wire-level ARM fake',
  azureWorld(),
  (world) => {
    const fake = () => world.backend().fake;

    it('creates an identity with one credential per ServiceAccount, three at once without a concurrent-write failure', async () => {
      const identity = workloadIdentity('billing', ACCOUNT, {
        subjects: [
          { serviceAccount: { name: 'billing', create: true } },
          { serviceAccount: { name: 'billing-worker', create: true } },
          { serviceAccount: { name: 'billing-cron', create: true } },
        ],
        tags: { team: 'billing' },
      });
      await apply(world.admin(), identity);
      const wi = await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });

      const stored = fake().identities.get(ref('billing'));
      expect(stored?.tags).toMatchObject({
        team: 'billing',
        'keyless.dev-namespace': 'shop',
        'keyless.dev-name': 'billing',
      });
      expect(wi.status?.principal).toMatchObject({
        id: stored?.properties.clientId,
        clientId: stored?.properties.clientId,
        principalId: stored?.properties.principalId,
        tenantId: TENANT,
        resourceId: stored?.id,
      });
      const credentials = fake().federatedCredentials.list(ref('billing'));
      expect(credentials.map((c) => c.properties.subject).sort()).toEqual([
        'system:serviceaccount:shop:billing',
        'system:serviceaccount:shop:billing-cron',
        'system:serviceaccount:shop:billing-worker',
      ]);
      expect(credentials.every((c) => c.properties.issuer === world.controlPlane().issuerUrl)).toBe(true);
      const sa = await world
        .admin()
        .request<Manifest>('GET', '/api/v1/namespaces/shop/serviceaccounts/billing-worker');
      expect((sa.metadata.annotations as Record<string, string>)['azure.workload.identity/client-id']).toBe(
        stored?.properties.clientId,
      );
      expect(
        (await eventsIn(world.admin(), 'shop')).filter((e) =>
          e.note?.includes('ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity'),
        ),
      ).toEqual([]);
    });

    it('grants with a role assignment named by UUID v5 of binding, scope and role', async () => {
      const binding = identityBinding('billing-secrets', 'billing', [{ resource: VAULT, access: 'read' }]);
      await apply(world.admin(), binding);
      const ib = await waitForCondition(world.admin(), binding, 'Ready', { status: 'True' });
      const uid = String(ib.metadata.uid);
      const name = assignmentName(uid, VAULT, SECRETS_USER);
      expect(fake().roleAssignments.get(name)).toMatchObject({
        name,
        properties: {
          roleDefinitionId: SECRETS_USER,
          principalId: fake().identities.get(ref('billing'))?.properties.principalId,
          scope: VAULT,
        },
      });
      expect(ib.status?.grants).toEqual([
        { resource: VAULT, summary: `Key Vault Secrets User at ${VAULT} (${name})` },
      ]);

      await apply(
        world.admin(),
        identityBinding('billing-secrets', 'billing', [{ resource: VAULT, access: 'write' }]),
      );
      await waitFor('the assignment replaced', () => fake().roleAssignments.get(name) === undefined);
      const officers = fake()
        .roleAssignments.list()
        .filter((a) => a.properties.scope === VAULT);
      expect(officers.map((a) => a.properties.roleDefinitionId)).toEqual([
        `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/b86a8fe4-44ce-4948-aee5-eccb2c155cd7`,
      ]);
    });

    it('corrects out-of-band tag and credential changes, keeping tags other tools set; reports them under Report', async () => {
      const before = fake().identities.get(ref('billing'))?.tags ?? {};
      fake().identities.setTags(ref('billing'), { ...before, team: 'intruders', 'cost-center': '42' });
      fake().federatedCredentials.put(ref('billing'), 'sneaky', {
        issuer: 'https://elsewhere.example',
        subject: 'system:serviceaccount:other:thief',
      });
      await waitFor('tags and credentials corrected', () => {
        const tags = fake().identities.get(ref('billing'))?.tags ?? {};
        const subjects = fake()
          .federatedCredentials.list(ref('billing'))
          .map((c) => c.properties.subject);
        return (
          tags.team === 'billing' &&
          tags['keyless.dev-name'] === 'billing' &&
          !subjects.includes('system:serviceaccount:other:thief')
        );
      });
      expect(fake().identities.get(ref('billing'))?.tags['cost-center']).toBe('42');

      const reporter = workloadIdentity('auditor', ACCOUNT, {
        driftPolicy: 'Report',
        tags: { team: 'audit' },
      });
      await apply(world.admin(), reporter);
      await waitForCondition(world.admin(), reporter, 'Ready', { status: 'True' });
      const current = fake().identities.get(ref('auditor'))?.tags ?? {};
      fake().identities.setTags(ref('auditor'), { ...current, team: 'nobody' });
      const drifted = await waitForCondition(world.admin(), reporter, 'Drifted', { status: 'True' });
      expect(drifted.status?.drift).toEqual([{ field: 'tags[team]', wanted: 'audit', found: 'nobody' }]);
      expect(fake().identities.get(ref('auditor'))?.tags.team).toBe('nobody');
    });

    it('never changes an identity it does not own, adopts when asked, and writes nothing under ObserveOnly', async () => {
      fake().identities.create(ref('legacy'), { location: 'westeurope', tags: { owner: 'ops' } });
      const legacy = workloadIdentity('legacy', ACCOUNT);
      await apply(world.admin(), legacy);
      await waitForCondition(world.admin(), legacy, 'Synced', { status: 'False', reason: 'NotOwned' });
      expect(fake().identities.get(ref('legacy'))?.tags).toEqual({ owner: 'ops' });
      await apply(world.admin(), withAdoption(legacy));
      await waitForCondition(world.admin(), legacy, 'Ready', { status: 'True' });
      expect(fake().identities.get(ref('legacy'))?.tags).toMatchObject({
        owner: 'ops',
        'keyless.dev-name': 'legacy',
      });

      fake().resetCounts();
      const observed = workloadIdentity('observed', ACCOUNT, { managementPolicy: 'ObserveOnly' });
      await apply(world.admin(), observed);
      await waitForCondition(world.admin(), observed, 'Ready', {
        status: 'False',
        reason: 'NotFoundInCloud',
      });
      const writes = Object.keys(fake().counts()).filter((op) => /\.(put|delete|patch)$/.test(op));
      expect(writes).toEqual([]);
    });

    it('reports a terminal authorization failure with Azure’s message, and rides out throttling', async () => {
      fake().inject({ operation: 'identities.put', times: 1, fault: { kind: 'authorizationFailed' } });
      const denied = workloadIdentity('denied', ACCOUNT);
      await apply(world.admin(), denied);
      const refused = await waitForCondition(world.admin(), denied, 'Synced', {
        status: 'False',
        reason: 'AccessDenied',
      });
      expect(conditionOf(refused, 'Synced')?.message).toContain(
        'does not have authorization to perform action',
      );

      fake().inject({
        operation: 'identities.put',
        times: 2,
        fault: { kind: 'throttled', retryAfterSeconds: 1 },
      });
      const throttled = workloadIdentity('throttled', ACCOUNT);
      await apply(world.admin(), throttled);
      await waitForCondition(world.admin(), throttled, 'Ready', { status: 'True' }, 20_000);
    });

    it('after a crash between creating and recording, makes no duplicate identity, credential or assignment', async () => {
      const identity = workloadIdentity('sturdy', ACCOUNT, {
        subjects: [
          { serviceAccount: { name: 'sturdy', create: true } },
          { serviceAccount: { name: 'sturdy-2', create: true } },
        ],
      });
      const binding = identityBinding('sturdy-read', 'sturdy', [{ resource: VAULT, access: 'read' }]);
      await apply(world.admin(), identity);
      await apply(world.admin(), binding);
      await waitFor('the cloud identity exists', () => fake().identities.get(ref('sturdy')));
      await world.operator().stop();
      const { startOperator, operatorKubeConfig } = await import('../support/operator-harness.js');
      const secrets = new KubeSecretReader(new KubeClient(world.controlPlane().kubeConfig()));
      const restarted = await startOperator({
        kubeConfig: await operatorKubeConfig(world.controlPlane()),
        providers: cloudRegistry({
          azure: (account) => createAzureProvider(account, { secrets, ca: fake().caPem }),
        }),
        args: ['--leader-elect=false'],
      });
      try {
        await waitForCondition(world.admin(), binding, 'Ready', { status: 'True' });
        const identities = fake()
          .identities.list(SUB, RG)
          .filter((i) => i.name === ref('sturdy').name);
        expect(identities).toHaveLength(1);
        expect(fake().federatedCredentials.list(ref('sturdy'))).toHaveLength(2);
        const principalId = identities[0]?.properties.principalId;
        expect(
          fake()
            .roleAssignments.list()
            .filter((a) => a.properties.principalId === principalId),
        ).toHaveLength(1);
      } finally {
        await restarted.stop();
      }
    });
  },
);

/** Delete and call budget need the operator the suite started, so they live in a suite of their own. */
describeWithCloud<AzureBackend>(
  'the Azure provider: delete, Retain and call budget',
  azureWorld(),
  (world) => {
    const fake = () => world.backend().fake;

    it('costs a known number of calls to converge, then reads only', async () => {
      await waitForAccountReady(world.admin(), ACCOUNT);
      fake().resetCounts();
      const identity = workloadIdentity('budget', ACCOUNT);
      const binding = identityBinding('budget-read', 'budget', [{ resource: VAULT, access: 'read' }]);
      await apply(world.admin(), identity);
      await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
      await apply(world.admin(), binding);
      await waitForCondition(world.admin(), binding, 'Ready', { status: 'True' });
      const { 'roleDefinitions.list': _accountChecks, ...converge } = fake().counts();
      console.info(
        `Azure first converge of one identity and one binding: ${JSON.stringify(fake().counts())}`,
      );
      expect(converge).toMatchObject({
        'identities.put': 1,
        'federatedCredentials.put': 1,
        'roleAssignments.put': 1,
      });

      await new Promise((resolve) => setTimeout(resolve, 1_000));
      fake().resetCounts();
      await new Promise((resolve) => setTimeout(resolve, 4_500));
      const writes = Object.keys(fake().counts()).filter((op) => /\.(put|delete|patch)$/.test(op));
      expect(writes).toEqual([]);
    });

    it('deletes assignments, then the identity (with its credentials); Retain leaves everything', async () => {
      const kept = workloadIdentity('kept', ACCOUNT, { deletionPolicy: 'Retain' });
      const keptRead = identityBinding('kept-read', 'kept', [{ resource: VAULT, access: 'read' }]);
      for (const object of [kept, keptRead]) await apply(world.admin(), object);
      await waitForCondition(world.admin(), keptRead, 'Ready', { status: 'True' });
      const budgetPrincipal = fake().identities.get(ref('budget'))?.properties.principalId;
      const keptPrincipal = fake().identities.get(ref('kept'))?.properties.principalId;

      fake().inject({
        operation: 'identities.delete',
        times: 1,
        fault: { kind: 'acceptedDelete', completeAfterMs: 500 },
      });
      const objects = [
        identityBinding('budget-read', 'budget', []),
        workloadIdentity('budget', ACCOUNT),
        keptRead,
        kept,
      ];
      for (const object of objects) await remove(world.admin(), object);
      for (const object of objects)
        await waitFor(
          `${object.metadata.name} gone`,
          async () => (await get(world.admin(), object)) === undefined,
          30_000,
        );

      expect(fake().identities.get(ref('budget'))).toBeUndefined();
      expect(
        fake()
          .roleAssignments.list()
          .filter((a) => a.properties.principalId === budgetPrincipal),
      ).toEqual([]);
      expect(fake().identities.get(ref('kept'))).toBeDefined();
      expect(
        fake()
          .roleAssignments.list()
          .filter((a) => a.properties.principalId === keptPrincipal),
      ).toHaveLength(1);
    });
  },
);

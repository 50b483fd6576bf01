/**
 * The terminal reasons only Azure or Google Cloud produce, driven for real (the operator against
 * the ARM and Google Cloud wire-level fakes, on a real API server) and read by cli-utils' kstatus
 * and the Argo CD health checks: Failed / Degraded.
 */
import { afterAll, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/kube-api/client.js';
import { assignmentName } from '../../../src/providers/azure/mapping.js';
import {
  AZURE_ACCOUNT_NAME,
  type AzureBackend,
  azureWorld,
  AZURE_SUBSCRIPTION as SUB,
} from '../../support/azure-world.js';
import { cloudAccount, describeWithCloud } from '../../support/cloud-world.js';
import { type GcpBackend, gcpWorld } from '../../support/gcp-world.js';
import { argoHealthOf, DRIVEN_ON_AZURE_AND_GCP, kstatusOf } from '../../support/gitops-tools.js';
import {
  identityBinding,
  type Observed,
  waitForCondition,
  workloadIdentity,
} from '../../support/keyless-objects.js';
import { apply, get, type Manifest } from '../../support/kube-manifests.js';

const seen = new Map<string, string>();

afterAll(() => {
  const lines = [...seen.entries()].map(([reason, verdict]) => `  ${reason.padEnd(34)} ${verdict}`);
  process.stdout.write(`kstatus / Argo CD per reason, on Azure and Google Cloud:\n${lines.join('\n')}\n`);
});

/** Waits for Stalled with `reason`, then checks what kstatus and Argo CD make of the object. */
async function expectStalled(admin: KubeClient, manifest: Manifest, reason: string): Promise<void> {
  try {
    await waitForCondition(admin, manifest, 'Stalled', { status: 'True', reason }, 60_000);
  } catch (err) {
    const object = await get<Observed>(admin, manifest);
    throw new Error(`${(err as Error).message}; it has ${JSON.stringify(object?.status?.conditions)}`, {
      cause: err,
    });
  }
  const object = await get<Observed>(admin, manifest);
  if (!object) throw new Error(`${manifest.kind} ${manifest.metadata.name} is gone`);
  const [kstatus] = await kstatusOf([object]);
  const argo = await argoHealthOf(object.kind, object);
  seen.set(reason, `${kstatus?.status} / ${argo.status}`);
  expect({ reason, kstatus: kstatus?.status, argo: argo.status }).toEqual({
    reason,
    kstatus: 'Failed',
    argo: 'Degraded',
  });
  expect(object.status?.conditions?.find((c) => c.type === 'Stalled')?.reason).toBe(reason);
}

const VAULT = `/subscriptions/${SUB}/resourceGroups/shop/providers/Microsoft.KeyVault/vaults/shop-billing`;
const SECRETS_USER = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`;

describeWithCloud<AzureBackend>(
  'GitOps health of Azure-only failures',
  azureWorld({ resyncInterval: '1h' }),
  (world) => {
    const admin = () => world.admin();

    it('reads an undefined role, a missing resource group and a missing subscription as Failed / Degraded', async () => {
      const identity = workloadIdentity('az-app', AZURE_ACCOUNT_NAME);
      await apply(admin(), identity);
      await waitForCondition(admin(), identity, 'Ready', { status: 'True' }, 60_000);
      const noRole = identityBinding('az-no-role', 'az-app', [{ resource: VAULT, role: 'No Such Role' }]);
      const noGroup = workloadIdentity('az-no-group', AZURE_ACCOUNT_NAME, {
        azure: { resourceGroup: 'nowhere' },
      });
      const otherSubscription = cloudAccount(
        'azure-other-subscription',
        {
          provider: 'azure',
          azure: {
            subscriptionId: '00000000-0000-0000-0000-0000000000ff',
            tenantId: '00000000-0000-0000-0000-0000000000aa',
            resourceGroup: 'keyless',
            location: 'westeurope',
            issuerUrl: world.controlPlane().issuerUrl,
          },
          resyncInterval: '1h',
        },
        world.backend().endpoint,
      );
      for (const manifest of [noRole, noGroup, otherSubscription]) await apply(admin(), manifest);
      await expectStalled(admin(), noRole, 'RoleNotFound');
      await expectStalled(admin(), noGroup, 'ResourceGroupNotFound');
      await expectStalled(admin(), otherSubscription, 'SubscriptionNotFound');
    });

    it('reads a role assignment of Keyless’s name held by another principal as Failed / Degraded', async () => {
      // The binding exists before its identity does, so its uid (which names the assignment) is known
      // before Keyless writes anything; someone else takes the name meanwhile.
      const binding = identityBinding('az-taken', 'az-late', [{ resource: VAULT, access: 'read' }]);
      await apply(admin(), binding);
      const waiting = await waitForCondition(admin(), binding, 'Ready', {
        status: 'False',
        reason: 'IdentityNotFound',
      });
      const stranger = '00000000-0000-0000-0000-00000000beef';
      world.backend().fake.directory.addPrincipal(stranger);
      world
        .backend()
        .fake.roleAssignments.put(VAULT, assignmentName(String(waiting.metadata.uid), VAULT, SECRETS_USER), {
          roleDefinitionId: SECRETS_USER,
          principalId: stranger,
          principalType: 'User',
        });
      await apply(admin(), workloadIdentity('az-late', AZURE_ACCOUNT_NAME));
      await expectStalled(admin(), binding, 'RoleAssignmentUpdateNotPermitted');
    });
  },
);

const PROJECT = { projectId: 'keyless-gitops', projectNumber: '323456789012' };

describeWithCloud<GcpBackend>(
  'GitOps health of Google-Cloud-only failures',
  gcpWorld(PROJECT, { resyncInterval: '1h' }),
  (world) => {
    const admin = () => world.admin();

    it('reads a grant Google Cloud cannot narrow, and a pool of neither form, as Failed / Degraded', async () => {
      const identity = workloadIdentity('gcp-app', 'gcp-test');
      await apply(admin(), identity);
      await waitForCondition(admin(), identity, 'Ready', { status: 'True' }, 60_000);
      const topic = identityBinding('gcp-topic', 'gcp-app', [
        { resource: `//pubsub.googleapis.com/projects/${PROJECT.projectId}/topics/orders`, access: 'write' },
      ]);
      const badPool = cloudAccount(
        'gcp-bad-pool',
        { provider: 'gcp', gcp: { ...PROJECT, workloadIdentityPool: 'not-a-pool' }, resyncInterval: '1h' },
        world.backend().endpoint,
      );
      const onBadPool = workloadIdentity('gcp-on-bad-pool', 'gcp-bad-pool');
      for (const manifest of [topic, badPool, onBadPool]) await apply(admin(), manifest);
      await expectStalled(admin(), topic, 'UnsupportedResource');
      await expectStalled(admin(), onBadPool, 'InvalidAccount');
    });

    it('drove every reason the AWS suite leaves to this one', () => {
      expect([...seen.keys()].sort()).toEqual([...DRIVEN_ON_AZURE_AND_GCP].sort());
    });
  },
);

/**
 * SIGTERM while a cloud write hangs, with two replicas electing a leader on the real API server and
 * the real AWS provider against moto. Each replica reaches moto through a fault proxy of its own, so
 * the proxies record, in time, which replica made which call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeSecretReader } from '../../../src/cluster/secret-reader.js';
import { KubeClient } from '../../../src/kube-api/client.js';
import { realClouds } from '../../../src/process-lifecycle.js';
import type { ProviderRegistry } from '../../../src/providers/provider.js';
import { applyMotoCredentials, awsAccount } from '../../support/aws-harness.js';
import { shouldSkipControlPlaneTests, useControlPlane } from '../../support/control-plane/index.js';
import { type FaultProxy, type ProxiedCall, startFaultProxy } from '../../support/fault-proxy/index.js';
import { waitForAccountReady, waitForCondition, workloadIdentity } from '../../support/keyless-objects.js';
import { apply, get, type Manifest, waitFor } from '../../support/kube-manifests.js';
import { type Moto, motoAvailability, shouldSkipMotoTests, startMoto } from '../../support/moto/index.js';
import {
  installKeyless,
  OPERATOR_NAMESPACE,
  operatorKubeConfig,
  type RunningOperator,
  startOperator,
} from '../../support/operator-harness.js';

const ACCOUNT = 'aws-handover';
const WRITES = new Set(['CreateRole', 'TagRole', 'UpdateAssumeRolePolicy', 'PutRolePolicy', 'DeleteRole']);
const LEASE: Manifest = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'keyless-operator', namespace: OPERATOR_NAMESPACE },
};

/** The real clouds, every account's calls sent to `endpoint` (this replica's own proxy). */
function cloudsThrough(endpoint: string, client: KubeClient): ProviderRegistry {
  const clouds = realClouds(new KubeSecretReader(client), { callTimeoutMs: 60_000 });
  return { forAccount: (account) => clouds.forAccount({ ...account, spec: { ...account.spec, endpoint } }) };
}

describe.skipIf(shouldSkipControlPlaneTests() || shouldSkipMotoTests())(
  'SIGTERM while a cloud write hangs',
  () => {
    const controlPlane = useControlPlane();
    let moto: Moto | undefined;
    const proxies: Record<'a' | 'b', FaultProxy | undefined> = { a: undefined, b: undefined };
    const replicas: RunningOperator[] = [];
    let admin: KubeClient;

    beforeAll(async () => {
      const availability = motoAvailability();
      if (availability.kind === 'unavailable') throw new Error(availability.reason);
      moto = await startMoto({ python: availability.python, enforceIam: false });
      proxies.a = await startFaultProxy({ target: moto.endpoint });
      proxies.b = await startFaultProxy({ target: moto.endpoint });
      admin = new KubeClient(controlPlane().kubeConfig());
      await installKeyless(admin);
      await apply(admin, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
      await applyMotoCredentials(admin);
      await apply(admin, awsAccount(moto.endpoint, controlPlane().issuerUrl, '10m', ACCOUNT));
    });

    afterAll(async () => {
      for (const replica of replicas) await replica.stop();
      await proxies.a?.stop();
      await proxies.b?.stop();
      await moto?.stop();
    });

    const start = async (name: 'a' | 'b') => {
      const kubeConfig = await operatorKubeConfig(controlPlane());
      const proxy = proxies[name] as FaultProxy;
      const replica = await startOperator({
        kubeConfig,
        providers: cloudsThrough(proxy.endpoint, new KubeClient(kubeConfig)),
        args: [`--pod-name=${name}`, '--reconcile-timeout=60s', '--cloud-call-timeout=60s'],
      });
      replicas.push(replica);
      return replica;
    };
    const holder = async () =>
      (await get<Manifest & { spec: { holderIdentity?: string; acquireTime?: string } }>(admin, LEASE))?.spec;

    it('releases the Lease only after the hung call was aborted; the standby writes only after that', async () => {
      const proxyA = proxies.a as FaultProxy;
      const proxyB = proxies.b as FaultProxy;
      const a = await start('a');
      await waitFor('a leads', async () => (await holder())?.holderIdentity === 'a');
      await start('b');
      await waitForAccountReady(admin, ACCOUNT);
      const hang = proxyA.inject({ operation: 'CreateRole', latencyMs: 3_600_000 });
      await apply(admin, workloadIdentity('handover', ACCOUNT));
      await waitFor('a sends CreateRole', async () => hang.applied() > 0);

      const sigtermAt = Date.now();
      const outcome = await a.stop();
      const stoppedAt = Date.now();
      expect(outcome).toBe('stopped');

      const ready = await waitForCondition(admin, workloadIdentity('handover', ACCOUNT), 'Ready', {
        status: 'True',
      });
      const lease = await holder();
      expect(lease?.holderIdentity).toBe('b');
      const takenOverAt = Date.parse(lease?.acquireTime ?? '');

      const writesOf = (proxy: FaultProxy) =>
        proxy.calls().filter((c: ProxiedCall) => WRITES.has(c.operation));
      const lastOfA = writesOf(proxyA).at(-1);
      const firstOfB = writesOf(proxyB)[0];
      expect(lastOfA).toMatchObject({ operation: 'CreateRole', answered: false });
      expect(lastOfA?.closedAt).toBeDefined();
      expect(firstOfB).toBeDefined();
      // The hung write was aborted before a let the Lease go, and b wrote only after taking it.
      expect(lastOfA?.closedAt ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(takenOverAt);
      expect(takenOverAt).toBeLessThanOrEqual(firstOfB?.receivedAt ?? 0);
      expect(ready.status?.principal?.roleArn).toContain('keyless-shop-handover');

      console.log(
        `SIGTERM → a's hung CreateRole aborted after ${(lastOfA?.closedAt ?? 0) - sigtermAt} ms; a stopped ` +
          `(Lease released) after ${stoppedAt - sigtermAt} ms; b took the Lease ${takenOverAt - sigtermAt} ms ` +
          `after SIGTERM and made its first write (${firstOfB?.operation}) ${(firstOfB?.receivedAt ?? 0) - sigtermAt} ms after`,
      );
    });
  },
);

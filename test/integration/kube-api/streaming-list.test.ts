import { beforeAll, expect, it } from 'vitest';
import type { WorkloadIdentity } from '../../../src/api/index.js';
import { collectionPath } from '../../../src/cluster/resources.js';
import { KubeClient } from '../../../src/kube-api/client.js';
import { forCache, KubeListWatch } from '../../../src/kube-api/list-watch.js';
import { streamList } from '../../../src/kube-api/streaming-list.js';
import type { WatchEvent } from '../../../src/runtime/list-watch-source.js';
import type { ControlPlane } from '../../support/control-plane/index.js';
import { describeWithControlPlane } from '../../support/control-plane/index.js';
import { apply, installCrds, type Manifest, waitFor } from '../../support/kube-manifests.js';

const PATH = collectionPath('WorkloadIdentity');

function identity(name: string): Manifest {
  return {
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'WorkloadIdentity',
    metadata: { name, namespace: 'default', labels: { team: name.startsWith('a') ? 'a' : 'b' } },
    spec: { accountRef: { name: 'x' }, subjects: [{ serviceAccount: { name } }] },
  };
}

const names = (items: WorkloadIdentity[]) => items.map((i) => i.metadata.name).sort();

/** Four identities, and a paged LIST that answers (the watch cache may still be filling). */
async function seeded(controlPlane: () => ControlPlane): Promise<KubeClient> {
  const admin = new KubeClient(controlPlane().kubeConfig());
  await installCrds(admin);
  for (const name of ['a1', 'a2', 'b1', 'b2']) await apply(admin, identity(name));
  return admin;
}

const stream = (controlPlane: () => ControlPlane, labelSelector?: string) =>
  streamList<WorkloadIdentity>({
    connection: controlPlane().kubeConfig(),
    path: PATH,
    ...(labelSelector ? { labelSelector } : {}),
    keep: forCache,
    idleTimeoutMs: 10_000,
    timeoutSeconds: 60,
  });

describeWithControlPlane('streaming lists on a real API server', (controlPlane) => {
  let admin: KubeClient;
  beforeAll(async () => {
    admin = await seeded(controlPlane);
  });

  it('lists every object once, at a resourceVersion a watch can start from, with selectors', async () => {
    // Right after a CRD is created the server answers 429 while its watch cache fills.
    const result = await waitFor('the watch cache to serve a streaming list', async () => {
      const streamed = await stream(controlPlane);
      return 'unavailable' in streamed ? undefined : streamed;
    });
    expect(names(result.items)).toEqual(['a1', 'a2', 'b1', 'b2']);
    expect(result.items.every((i) => i.metadata.managedFields === undefined)).toBe(true);
    expect(Number(result.resourceVersion)).toBeGreaterThan(0);

    const selected = await stream(controlPlane, 'team=a');
    expect('items' in selected && names(selected.items)).toEqual(['a1', 'a2']);

    // The snapshot's resourceVersion: a watch from it sees the next change and nothing before it.
    const source = new KubeListWatch<WorkloadIdentity>({
      connection: controlPlane().kubeConfig(),
      path: PATH,
    });
    const events: string[] = [];
    const handle = await source.watch(
      result.resourceVersion,
      (...[type, obj]: WatchEvent<WorkloadIdentity>) => {
        if (type === 'ADDED' || type === 'MODIFIED') events.push(`${type} ${obj.metadata.name}`);
      },
      () => {},
    );
    await apply(admin, identity('a3'));
    await waitFor('the change after the snapshot', () => events.includes('ADDED a3') || undefined);
    handle.abort();
    expect(events).toEqual(['ADDED a3']);
  });
});

describeWithControlPlane(
  'streaming lists where the API server has them switched off',
  (controlPlane) => {
    beforeAll(async () => {
      await seeded(controlPlane);
    });

    it('says so, and the list falls back to pages for good', async () => {
      expect(await stream(controlPlane)).toEqual({ unavailable: 'unsupported' });
      const source = new KubeListWatch<WorkloadIdentity>({
        connection: controlPlane().kubeConfig(),
        path: PATH,
        pageSize: 3,
      });
      const first = await source.list();
      expect(names(first.items)).toEqual(['a1', 'a2', 'b1', 'b2']);
      expect(names((await source.list()).items)).toEqual(['a1', 'a2', 'b1', 'b2']);
    });
  },
  { extraApiServerArgs: ['--feature-gates=WatchList=false'] },
);

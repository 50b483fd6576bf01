import { pino } from 'pino';
import { afterEach, beforeAll, expect, it } from 'vitest';
import type { WorkloadIdentity } from '../../src/api/index.js';
import { collectionPath } from '../../src/cluster/resources.js';
import { KubeClient } from '../../src/kube-api/client.js';
import { KubeListWatch, LAST_APPLIED_ANNOTATION } from '../../src/kube-api/list-watch.js';
import { Informer } from '../../src/runtime/informer.js';
import type { ListWatchSource, WatchEvent, WatchHandle } from '../../src/runtime/list-watch-source.js';
import { describeWithControlPlane } from '../support/control-plane/index.js';
import { apply, get, installCrds, type Manifest, remove, waitFor } from '../support/kube-manifests.js';

/**
 * The real list/watch with two test controls: counting lists, and holding new watches back at a
 * gate so the test can change the cluster while the informer is disconnected.
 */
class GatedSource implements ListWatchSource<WorkloadIdentity> {
  lists = 0;
  watchErrors: unknown[] = [];
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  current: WatchHandle | undefined;

  constructor(private readonly inner: KubeListWatch<WorkloadIdentity>) {}

  async list(signal?: AbortSignal) {
    this.lists += 1;
    return this.inner.list(signal);
  }

  async watch(
    rv: string,
    onEvent: (...e: WatchEvent<WorkloadIdentity>) => void,
    onDone: (err?: unknown) => void,
  ) {
    if (this.gate) await this.gate;
    this.current = await this.inner.watch(
      rv,
      (...event) => {
        if (event[0] === 'ERROR') this.watchErrors.push(event[1]);
        onEvent(...event);
      },
      (err) => {
        if (err) this.watchErrors.push(err);
        onDone(err);
      },
    );
    return this.current;
  }

  /** Ends the current watch and holds the next one back until `release`. */
  disconnect(): void {
    if (!this.current) throw new Error('no watch to disconnect');
    this.gate = new Promise((resolve) => {
      this.openGate = resolve;
    });
    this.current.abort();
    this.current = undefined;
  }

  release(): void {
    this.gate = undefined;
    this.openGate?.();
  }
}

function identity(name: string, account = 'a'): Manifest {
  return {
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'WorkloadIdentity',
    metadata: { name, namespace: 'default' },
    spec: { accountRef: { name: account }, subjects: [{ serviceAccount: { name } }] },
  };
}

async function freshList(admin: KubeClient): Promise<string[]> {
  const list = await admin.request<{ items: WorkloadIdentity[] }>('GET', collectionPath('WorkloadIdentity'));
  return list.items.map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}`).sort();
}

function cached(informer: Informer<WorkloadIdentity>): string[] {
  return informer.store
    .list()
    .map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}`)
    .sort();
}

describeWithControlPlane(
  'the informer on a real API server',
  (controlPlane) => {
    let admin: KubeClient;
    let informer: Informer<WorkloadIdentity> | undefined;

    beforeAll(async () => {
      admin = new KubeClient(controlPlane().kubeConfig());
      await installCrds(admin);
    });

    afterEach(async () => {
      informer?.stop();
      for (const name of ['one', 'two', 'three', 'four', 'five']) await remove(admin, identity(name));
    });

    function startInformer(): { informer: Informer<WorkloadIdentity>; source: GatedSource } {
      const source = new GatedSource(
        new KubeListWatch<WorkloadIdentity>({
          connection: controlPlane().kubeConfig(),
          path: collectionPath('WorkloadIdentity'),
        }),
      );
      informer = new Informer({
        name: 'workloadidentities',
        source,
        logger: pino({ level: process.env.DBG ? 'debug' : 'silent' }),
        restartBackoff: { initialMs: 200, maxMs: 2_000 },
      });
      informer.start();
      return { informer, source };
    }

    it('recovers after kube-apiserver restarts, and the cache equals a fresh LIST', async () => {
      for (const name of ['one', 'two', 'three']) await apply(admin, identity(name));
      const { informer } = startInformer();
      await informer.waitForSync();
      await waitFor(
        'cache = LIST',
        async () => JSON.stringify(cached(informer)) === JSON.stringify(await freshList(admin)),
      );

      await controlPlane().restartApiServer();
      await apply(admin, identity('one', 'changed'));
      await remove(admin, identity('two'));
      await apply(admin, identity('four'));

      await waitFor('cache = LIST after the restart', async () => {
        const list = await freshList(admin);
        return JSON.stringify(cached(informer)) === JSON.stringify(list) && list.length === 3;
      });
      expect(informer.store.get('default/one')?.spec.accountRef.name).toBe('changed');
    });

    it("caches objects without managedFields or kubectl's last-applied manifest; the server keeps both", async () => {
      const applied = (name: string): Manifest => {
        const manifest = identity(name);
        const annotations = {
          'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(manifest),
          'keyless.dev/adopt': 'true',
        };
        return { ...manifest, metadata: { ...manifest.metadata, annotations } };
      };
      await apply(admin, applied('one'));
      const { informer } = startInformer();
      await informer.waitForSync();
      await apply(admin, applied('two'));
      await waitFor('the watched object in the cache', () => informer.store.get('default/two'));

      for (const name of ['one', 'two']) {
        const server = await get(admin, identity(name));
        expect(server?.metadata.managedFields).toBeDefined();
        expect(Object.keys(server?.metadata.annotations ?? {})).toContain(LAST_APPLIED_ANNOTATION);
        const cachedCopy = informer.store.get(`default/${name}`);
        expect(cachedCopy?.metadata).not.toHaveProperty('managedFields');
        expect(cachedCopy?.metadata.annotations).toEqual({ 'keyless.dev/adopt': 'true' });
        expect(cachedCopy?.metadata.resourceVersion).toBe(server?.metadata.resourceVersion);
      }
    });

    it('relists when its resourceVersion has expired (410), and the cache equals a fresh LIST', async () => {
      for (const name of ['one', 'two', 'three']) await apply(admin, identity(name));
      const { informer, source } = startInformer();
      await informer.waitForSync();
      await waitFor('the watch to be established', () => source.current);
      const listsBefore = source.lists;

      source.disconnect();
      await apply(admin, identity('one', 'changed'));
      await remove(admin, identity('two'));
      const last = await apply(admin, identity('five'));
      await compactEtcd(controlPlane().etcdUrl, Number(last.metadata.resourceVersion));
      source.release();

      await waitFor('cache = LIST after the 410', async () => {
        const list = await freshList(admin);
        return JSON.stringify(cached(informer)) === JSON.stringify(list) && list.length === 3;
      });
      expect(source.lists).toBe(listsBefore + 1);
      expect(source.watchErrors.some((e) => JSON.stringify(e).includes('410'))).toBe(true);
      expect(informer.store.get('default/two')).toBeUndefined();
    });
  },
  // Without the watch cache, watches go to etcd, so an old resourceVersion really is compacted away.
  { extraApiServerArgs: ['--watch-cache=false', '--etcd-compaction-interval=0'] },
);

/** Compacts etcd's history up to `revision` through its JSON gateway. */
async function compactEtcd(etcdUrl: string | undefined, revision: number): Promise<void> {
  if (!etcdUrl) throw new Error('this control plane exposes no etcd (k3s): the 410 test needs one');
  const response = await fetch(`${etcdUrl}/v3/kv/compaction`, {
    method: 'POST',
    body: JSON.stringify({ revision: String(revision), physical: true }),
  });
  if (!response.ok) throw new Error(`etcd compaction: HTTP ${response.status}: ${await response.text()}`);
}

import type { Logger } from 'pino';
import type { CloudAccount, IdentityBinding, WorkloadIdentity } from './api/index.js';
import { bindingIndexers, CacheClusterReader, identityIndexers } from './cluster/cluster-reader.js';
import { KubeClusterWriter } from './cluster/cluster-writer.js';
import { KubeEventRecorder } from './cluster/event-recorder.js';
import { collectionPath } from './cluster/resources.js';
import { KubeServiceAccounts } from './cluster/service-accounts.js';
import type { KubeClient } from './kube-api/client.js';
import type { KubeConnection } from './kube-api/connection.js';
import { KubeListWatch } from './kube-api/list-watch.js';
import type { OperatorMetrics } from './observability/metrics.js';
import type { ObjectSnapshot } from './observability/object-states.js';
import { parseDuration } from './policy/duration.js';
import type { ProviderRegistry } from './providers/provider.js';
import { gateRegistry } from './providers/registry/gated.js';
import { CloudAccountReconciler } from './reconcilers/cloud-account.js';
import type { ReconcilerDeps } from './reconcilers/deps.js';
import { firstObservationDelay } from './reconcilers/first-observation.js';
import { IdentityBindingReconciler } from './reconcilers/identity-binding.js';
import type { KeylessKind } from './reconcilers/ports.js';
import { WorkloadIdentityReconciler } from './reconcilers/workload-identity.js';
import { jitter } from './runtime/backoff.js';
import type { Clock } from './runtime/clock.js';
import { Controller, type Reconcile } from './runtime/controller.js';
import { Informer, type InformerHandlers } from './runtime/informer.js';
import type { ListWatchSource } from './runtime/list-watch-source.js';
import { type KindObjects, type Timing, type WatchChange, wakeUpsFrom } from './wake-ups.js';

/** Where each kind's informer lists and watches from. */
export type ManagerSources = { [K in KeylessKind]: ListWatchSource<KindObjects[K]> };

export interface ManagerOptions {
  sources: ManagerSources;
  client: KubeClient;
  providers: ProviderRegistry;
  metrics: OperatorMetrics;
  logger: Logger;
  clock: Clock;
  /** For jitter and the spread of first observations; injectable for deterministic tests. */
  random?: () => number;
  clusterName: string;
  workers: number;
  /** Cloud calls in flight per kind, at most `workers`; unset, as many as the workers. */
  cloudConcurrency?: number;
  /** Each reconcile's deadline. */
  reconcileTimeoutMs: number;
  defaultResyncMs: number;
  /** This replica, in Events. */
  instance: string;
}

/** The API server's collections of the three kinds. */
export function kubeListWatchSources(connection: KubeConnection): ManagerSources {
  return {
    CloudAccount: new KubeListWatch<CloudAccount>({ connection, path: collectionPath('CloudAccount') }),
    WorkloadIdentity: new KubeListWatch<WorkloadIdentity>({
      connection,
      path: collectionPath('WorkloadIdentity'),
    }),
    IdentityBinding: new KubeListWatch<IdentityBinding>({
      connection,
      path: collectionPath('IdentityBinding'),
    }),
  };
}

/**
 * The operator's moving parts: one informer and one controller per kind, wired by the wake-up
 * graph (wake-ups.ts) so that a change to one object wakes the objects that depend on it.
 * Informers run on every replica (a warm standby takes over fast); controllers only on the leader.
 */
export class Manager {
  readonly informers: {
    accounts: Informer<CloudAccount>;
    identities: Informer<WorkloadIdentity>;
    bindings: Informer<IdentityBinding>;
  };
  readonly controllers: Record<KeylessKind, Controller>;
  private readonly cluster: CacheClusterReader;
  private readonly defaultResyncMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  /**
   * First observations whose account was not in the caches while they filled (a binding listed
   * before its identity): decided once every cache has synced, so they spread over their own
   * account's resync interval, not the default one.
   */
  private undecided: Array<() => void> = [];

  constructor(options: ManagerOptions) {
    this.defaultResyncMs = options.defaultResyncMs;
    this.clock = options.clock;
    this.random = options.random ?? Math.random;
    const informer = <K extends KeylessKind>(
      kind: K,
      indexers?: Record<string, (o: KindObjects[K]) => string[]>,
    ) =>
      new Informer<KindObjects[K]>({
        name: kind,
        source: options.sources[kind],
        logger: options.logger,
        clock: options.clock,
        random: this.random,
        ...(indexers ? { indexers } : {}),
      });
    this.informers = {
      accounts: informer('CloudAccount'),
      identities: informer('WorkloadIdentity', identityIndexers),
      bindings: informer('IdentityBinding', bindingIndexers),
    };
    this.cluster = new CacheClusterReader({
      accounts: this.informers.accounts.store,
      identities: this.informers.identities.store,
      bindings: this.informers.bindings.store,
    });
    const deps: ReconcilerDeps = {
      cluster: this.cluster,
      writer: new KubeClusterWriter(options.client),
      serviceAccounts: new KubeServiceAccounts(options.client),
      events: new KubeEventRecorder({
        client: options.client,
        clock: options.clock,
        logger: options.logger,
        instance: options.instance,
      }),
      // Each controller's reconciles carry its gate; every provider call they make waits at it.
      providers: gateRegistry(options.providers),
      clock: options.clock,
      clusterName: options.clusterName,
      random: this.random,
      resyncAfter: (account) => jitter(this.resyncInterval(account), this.random, 0.2),
    };
    const controller = (name: KeylessKind, reconcile: Reconcile) =>
      new Controller({
        name,
        reconcile,
        logger: options.logger,
        metrics: options.metrics,
        workers: options.workers,
        ...(options.cloudConcurrency ? { cloudConcurrency: options.cloudConcurrency } : {}),
        reconcileTimeoutMs: options.reconcileTimeoutMs,
        clock: options.clock,
      });
    this.controllers = {
      CloudAccount: controller('CloudAccount', new CloudAccountReconciler(deps).reconcile),
      WorkloadIdentity: controller('WorkloadIdentity', new WorkloadIdentityReconciler(deps).reconcile),
      IdentityBinding: controller('IdentityBinding', new IdentityBindingReconciler(deps).reconcile),
    };
    this.informers.accounts.addHandlers(this.wakeUpHandlers('CloudAccount'));
    this.informers.identities.addHandlers(this.wakeUpHandlers('WorkloadIdentity'));
    this.informers.bindings.addHandlers(this.wakeUpHandlers('IdentityBinding'));
  }

  startInformers(): void {
    for (const informer of Object.values(this.informers)) informer.start();
    this.waitForSync().then(
      () => {
        for (const decide of this.undecided.splice(0)) decide();
      },
      // An informer stopped before it synced: the operator is stopping, nothing is left to decide.
      () => {
        this.undecided = [];
      },
    );
  }

  synced(): boolean {
    return Object.values(this.informers).every((i) => i.hasSynced());
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all(Object.values(this.informers).map((i) => i.waitForSync(signal)));
  }

  startControllers(): void {
    for (const controller of Object.values(this.controllers)) controller.start();
  }

  /** Keys ready in the work queues and waiting for a worker, every kind's: a backlog, not in-flight work. */
  backlog(): number {
    return Object.values(this.controllers).reduce((n, c) => n + c.queue.len(), 0);
  }

  /** Stops the controllers (every reconcile aborted and settled), then the informers. */
  async stop(): Promise<void> {
    await Promise.all(Object.values(this.controllers).map((c) => c.stop()));
    for (const informer of Object.values(this.informers)) informer.stop();
  }

  /** The objects of the three kinds in the informer caches now. */
  objects(): ObjectSnapshot {
    return {
      accounts: this.informers.accounts.store.list(),
      identities: this.informers.identities.store.list(),
      bindings: this.informers.bindings.store.list(),
    };
  }

  private resyncInterval(account: CloudAccount | undefined): number {
    return account?.spec.resyncInterval ? parseDuration(account.spec.resyncInterval) : this.defaultResyncMs;
  }

  /** The informer handlers of `from`: each change is run through the edges leaving that kind. */
  private wakeUpHandlers<F extends KeylessKind>(from: F): InformerHandlers<KindObjects[F]> {
    const edges = wakeUpsFrom(from);
    const changed = (change: WatchChange, object: KindObjects[F], old?: KindObjects[F]) => {
      for (const edge of edges) {
        if (!edge.on.includes(change)) continue;
        if (old && edge.when && !edge.when(old, object)) continue;
        const keys = edge.keys(object, this.cluster, old);
        if (keys.length === 0) continue;
        const queue = this.controllers[edge.to].queue;
        const delay = this.delayOf(edge.timing, object);
        if (delay === undefined) {
          this.undecided.push(() => {
            const decided = this.delayOf(edge.timing, object) ?? 0;
            for (const key of keys) queue.addAfter(key, decided);
          });
          continue;
        }
        for (const key of keys) queue.addAfter(key, delay);
      }
    };
    return {
      onAdd: (object) => changed('added', object),
      onUpdate: (old, object) => changed('updated', object, old),
      onDelete: (object) => changed('deleted', object),
    };
  }

  /** undefined: not yet, the caches are still filling and do not hold the object's account. */
  private delayOf<F extends KeylessKind>(timing: Timing<F>, object: KindObjects[F]): number | undefined {
    if (timing === 'now') return 0;
    if ('settleMs' in timing) return timing.settleMs;
    const account = timing.firstObservation(object, this.cluster);
    if (!account && !this.synced()) return undefined;
    return firstObservationDelay(object, this.resyncInterval(account), this.clock.now(), this.random);
  }
}

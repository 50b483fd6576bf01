import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { CloudAccount, Condition, IdentityBinding, KubeObject, WorkloadIdentity } from './api/index.js';
import { bindingIndexers, CacheClusterReader, identityIndexers } from './cluster/cluster-reader.js';
import { KubeClusterWriter } from './cluster/cluster-writer.js';
import { KubeEventRecorder } from './cluster/event-recorder.js';
import { collectionPath } from './cluster/resources.js';
import { KubeServiceAccounts } from './cluster/service-accounts.js';
import type { KubeClient } from './kube-api/client.js';
import { KubeListWatch } from './kube-api/list-watch.js';
import type { OperatorMetrics } from './observability/metrics.js';
import { parseDuration } from './policy/duration.js';
import type { ProviderRegistry } from './providers/provider.js';
import { CloudAccountReconciler } from './reconcilers/cloud-account.js';
import { getCondition, isTrue } from './reconcilers/conditions.js';
import type { ReconcilerDeps } from './reconcilers/deps.js';
import { firstObservationDelay, type Observable } from './reconcilers/first-observation.js';
import { IdentityBindingReconciler } from './reconcilers/identity-binding.js';
import type { KeylessKind } from './reconcilers/ports.js';
import { WorkloadIdentityReconciler } from './reconcilers/workload-identity.js';
import { jitter } from './runtime/backoff.js';
import type { Clock } from './runtime/clock.js';
import { Controller, type Reconcile } from './runtime/controller.js';
import { Informer } from './runtime/informer.js';
import { keyOf } from './runtime/kube-object.js';

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  client: KubeClient;
  providers: ProviderRegistry;
  metrics: OperatorMetrics;
  logger: Logger;
  clock: Clock;
  clusterName: string;
  workers: number;
  /** Each reconcile's deadline. */
  reconcileTimeoutMs: number;
  defaultResyncMs: number;
  /** This replica, in Events. */
  instance: string;
}

/**
 * The operator's moving parts: one informer and one controller per kind, wired so that a change
 * to one object wakes the objects that depend on it. Informers run on every replica (a warm
 * standby takes over fast); controllers only on the leader.
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

  constructor(options: ManagerOptions) {
    this.defaultResyncMs = options.defaultResyncMs;
    const informer = <T extends KubeObject>(
      kind: KeylessKind,
      indexers?: Record<string, (o: T) => string[]>,
    ) =>
      new Informer<T>({
        name: kind,
        source: new KubeListWatch<T>({ kubeConfig: options.kubeConfig, path: collectionPath(kind) }),
        logger: options.logger,
        clock: options.clock,
        ...(indexers ? { indexers } : {}),
      });
    this.informers = {
      accounts: informer<CloudAccount>('CloudAccount'),
      identities: informer<WorkloadIdentity>('WorkloadIdentity', identityIndexers),
      bindings: informer<IdentityBinding>('IdentityBinding', bindingIndexers),
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
      providers: options.providers,
      clock: options.clock,
      clusterName: options.clusterName,
      resyncAfter: (account) => jitter(this.resyncInterval(account), Math.random, 0.2),
    };
    const controller = (name: KeylessKind, reconcile: Reconcile) =>
      new Controller({
        name,
        reconcile,
        logger: options.logger,
        metrics: options.metrics,
        workers: options.workers,
        reconcileTimeoutMs: options.reconcileTimeoutMs,
        clock: options.clock,
      });
    this.controllers = {
      CloudAccount: controller('CloudAccount', new CloudAccountReconciler(deps).reconcile),
      WorkloadIdentity: controller('WorkloadIdentity', new WorkloadIdentityReconciler(deps).reconcile),
      IdentityBinding: controller('IdentityBinding', new IdentityBindingReconciler(deps).reconcile),
    };
    this.wire();
  }

  startInformers(): void {
    for (const informer of Object.values(this.informers)) informer.start();
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

  /** Stops the controllers (every reconcile aborted and settled), then the informers. */
  async stop(): Promise<void> {
    await Promise.all(Object.values(this.controllers).map((c) => c.stop()));
    for (const informer of Object.values(this.informers)) informer.stop();
  }

  /** WorkloadIdentities by Ready state, for the managed-identities gauge. */
  identityStates(): Record<'Ready' | 'NotReady', number> {
    const states = { Ready: 0, NotReady: 0 };
    for (const wi of this.informers.identities.store.list()) {
      states[isTrue(wi.status?.conditions, 'Ready') ? 'Ready' : 'NotReady'] += 1;
    }
    return states;
  }

  private resyncInterval(account: CloudAccount | undefined): number {
    return account?.spec.resyncInterval ? parseDuration(account.spec.resyncInterval) : this.defaultResyncMs;
  }

  private enqueueAdded(controller: Controller, object: Observable, account: CloudAccount | undefined): void {
    const delay = firstObservationDelay(object, this.resyncInterval(account), Date.now(), Math.random);
    if (delay === 0) controller.enqueue(keyOf(object));
    else controller.queue.addAfter(keyOf(object), delay);
  }

  private wire(): void {
    const {
      CloudAccount: accounts,
      WorkloadIdentity: identities,
      IdentityBinding: bindings,
    } = this.controllers;
    const enqueueIdentitiesOf = (account: CloudAccount) => {
      for (const wi of this.cluster.identitiesOf(account.metadata.name)) identities.enqueue(keyOf(wi));
    };
    const enqueueBindingsOf = (wi: WorkloadIdentity) => {
      for (const ib of this.cluster.bindingsOf(wi.metadata.namespace ?? '', wi.metadata.name))
        bindings.enqueue(keyOf(ib));
    };

    this.informers.accounts.addHandlers({
      onAdd: (account) => accounts.enqueue(keyOf(account)),
      onUpdate: (old, account) => {
        if (needsReconcile(old, account)) accounts.enqueue(keyOf(account));
        if (readinessChanged(old, account) || old.metadata.generation !== account.metadata.generation) {
          enqueueIdentitiesOf(account);
        }
      },
      onDelete: (account) => enqueueIdentitiesOf(account),
    });

    this.informers.identities.addHandlers({
      onAdd: (wi) => {
        this.enqueueAdded(identities, wi, this.cluster.account(wi.spec.accountRef.name));
        accounts.enqueue(wi.spec.accountRef.name);
      },
      onUpdate: (old, wi) => {
        if (needsReconcile(old, wi)) identities.enqueue(keyOf(wi));
        if (readinessChanged(old, wi) || old.status?.externalName !== wi.status?.externalName)
          enqueueBindingsOf(wi);
        if (old.spec.accountRef.name !== wi.spec.accountRef.name) accounts.enqueue(old.spec.accountRef.name);
      },
      onDelete: (wi) => {
        accounts.enqueue(wi.spec.accountRef.name);
        enqueueBindingsOf(wi);
      },
    });

    this.informers.bindings.addHandlers({
      onAdd: (ib) => {
        const identity = this.cluster.identity(ib.metadata.namespace ?? '', ib.spec.identityRef.name);
        this.enqueueAdded(bindings, ib, identity && this.cluster.account(identity.spec.accountRef.name));
      },
      onUpdate: (old, ib) => {
        if (needsReconcile(old, ib)) bindings.enqueue(keyOf(ib));
      },
      // The identity may be waiting for its last binding to go before it deletes itself.
      onDelete: (ib) => identities.enqueue(`${ib.metadata.namespace}/${ib.spec.identityRef.name}`),
    });
  }
}

/**
 * A change worth a reconcile of the object itself. The operator's own writes (status, its
 * finalizer) are not: reacting to them would cost a second cloud read per converge.
 */
function needsReconcile(old: KubeObject, current: KubeObject): boolean {
  const a = old.metadata;
  const b = current.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {})
  );
}

/** Ready moved (True, False, or not yet set): dependants should look again. */
function readinessChanged(old: { status?: { conditions?: Condition[] } }, current: typeof old): boolean {
  return (
    getCondition(old.status?.conditions, 'Ready')?.status !==
    getCondition(current.status?.conditions, 'Ready')?.status
  );
}

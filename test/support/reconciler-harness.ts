import { pino } from 'pino';
import type {
  CloudAccount,
  CloudAccountSpec,
  IdentityBinding,
  IdentityBindingSpec,
  WorkloadIdentity,
  WorkloadIdentitySpec,
} from '../../src/api/index.js';
import { MemoryCloud, MemoryProvider } from '../../src/providers/memory/index.js';
import { CloudAccountReconciler } from '../../src/reconcilers/cloud-account.js';
import type { ReconcilerDeps } from '../../src/reconcilers/deps.js';
import { IdentityBindingReconciler } from '../../src/reconcilers/identity-binding.js';
import { WorkloadIdentityReconciler } from '../../src/reconcilers/workload-identity.js';
import { backgroundContext } from '../../src/runtime/context.js';
import type { ReconcileContext, ReconcileResult } from '../../src/runtime/controller.js';
import { ClassifiedError } from '../../src/runtime/errors.js';
import { FakeClock } from './fake-clock.js';
import { FakeCluster } from './fake-cluster.js';

export const RESYNC_MS = 600_000;
const START = Date.parse('2026-01-01T00:00:00Z');

export interface Outcome {
  result?: ReconcileResult;
  error?: Error;
}

/** Reconcilers wired to a FakeCluster and the in-memory cloud, driven by hand. */
export function reconcilerHarness() {
  const clock = new FakeClock(START);
  const cloud = new MemoryCloud({ clock });
  const provider = new MemoryProvider(cloud);
  const cluster = new FakeCluster();
  cluster.now = () => new Date(clock.now());
  const deps: ReconcilerDeps = {
    cluster,
    writer: cluster,
    serviceAccounts: cluster,
    events: cluster,
    providers: { forAccount: () => provider },
    clock,
    clusterName: 'test-cluster',
    resyncAfter: () => RESYNC_MS,
  };
  const reconcilers = {
    CloudAccount: new CloudAccountReconciler(deps),
    WorkloadIdentity: new WorkloadIdentityReconciler(deps),
    IdentityBinding: new IdentityBindingReconciler(deps),
  };
  const logger = pino({ level: 'silent' });

  /** One reconcile, as the controller runs it: with a context that `signal` (if given) aborts. */
  async function reconcile(
    kind: keyof typeof reconcilers,
    key: string,
    signal?: AbortSignal,
  ): Promise<Outcome> {
    const context: ReconcileContext = {
      ...backgroundContext(logger, clock),
      ...(signal ? { signal } : {}),
      reconcileId: 'test',
    };
    try {
      return { result: await reconcilers[kind].reconcile(key, context) };
    } catch (error) {
      return { error: error as Error };
    }
  }

  function applyAccount(name = 'acct', spec: Partial<CloudAccountSpec> = {}): CloudAccount {
    return cluster.apply<CloudAccount>('CloudAccount', {
      apiVersion: 'keyless.dev/v1alpha1',
      kind: 'CloudAccount',
      metadata: { name },
      spec: {
        provider: 'aws',
        aws: {
          accountId: '123456789012',
          region: 'us-east-1',
          oidcProvider: { issuerUrl: 'https://issuer' },
        },
        ...spec,
      },
    });
  }

  function applyIdentity(
    name = 'app',
    spec: Partial<WorkloadIdentitySpec> = {},
    annotations?: Record<string, string>,
  ): WorkloadIdentity {
    return cluster.apply<WorkloadIdentity>('WorkloadIdentity', {
      apiVersion: 'keyless.dev/v1alpha1',
      kind: 'WorkloadIdentity',
      metadata: { name, namespace: 'team', ...(annotations ? { annotations } : {}) },
      spec: { accountRef: { name: 'acct' }, subjects: [{ serviceAccount: { name, create: true } }], ...spec },
    });
  }

  function applyBinding(name = 'app-read', spec: Partial<IdentityBindingSpec> = {}): IdentityBinding {
    return cluster.apply<IdentityBinding>('IdentityBinding', {
      apiVersion: 'keyless.dev/v1alpha1',
      kind: 'IdentityBinding',
      metadata: { name, namespace: 'team' },
      spec: {
        identityRef: { name: 'app' },
        grants: [{ resource: 'arn:aws:s3:::bucket', access: 'read' }],
        ...spec,
      },
    });
  }

  /** Account `acct`, whose first check failed (503): it has said it is not Ready. */
  async function unreadyAccount(): Promise<void> {
    applyAccount();
    cloud.failNext(
      'CheckAccount',
      new ClassifiedError('503', { kind: 'retryable', reason: 'CloudUnavailable' }),
    );
    await reconcile('CloudAccount', 'acct');
  }

  /** A Ready account and a Ready identity `app` in namespace `team`. */
  async function readyIdentity(spec: Partial<WorkloadIdentitySpec> = {}): Promise<WorkloadIdentity> {
    applyAccount();
    await reconcile('CloudAccount', 'acct');
    applyIdentity('app', spec);
    const outcome = await reconcile('WorkloadIdentity', 'team/app');
    if (outcome.error) throw outcome.error;
    return cluster.identity('team', 'app') as WorkloadIdentity;
  }

  return {
    clock,
    cloud,
    provider,
    cluster,
    reconcilers,
    reconcile,
    applyAccount,
    applyIdentity,
    applyBinding,
    unreadyAccount,
    readyIdentity,
    identity: (name = 'app') => cluster.identity('team', name),
    binding: (name = 'app-read') => cluster.binding('team', name),
  };
}

export function condition(
  object: { status?: { conditions?: { type: string }[] } } | undefined,
  type: string,
) {
  return object?.status?.conditions?.find((c) => c.type === type) as
    | { status: string; reason: string; message: string }
    | undefined;
}

/**
 * Makes the cluster's finalizer writes take `ms` of real time and records, in `log`, when each
 * starts and ends next to the cloud calls, so tests can see what ran while the finalizer was written.
 */
export function slowFinalizers(h: ReturnType<typeof reconcilerHarness>, ms: number): string[] {
  const log: string[] = [];
  const add = h.cluster.addFinalizer.bind(h.cluster);
  h.cluster.addFinalizer = async (...args) => {
    log.push('finalizer started');
    await new Promise((resolve) => setTimeout(resolve, ms));
    await add(...args);
    log.push('finalizer written');
  };
  h.cloud.injectFault((operation) => {
    log.push(operation);
    return undefined;
  });
  return log;
}

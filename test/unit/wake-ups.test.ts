import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type {
  CloudAccount,
  CloudAccountSpec,
  Condition,
  IdentityBinding,
  KubeObject,
  WorkloadIdentity,
} from '../../src/api/index.js';
import { KubeClient } from '../../src/kube-api/client.js';
import { Manager } from '../../src/manager.js';
import { OperatorMetrics } from '../../src/observability/metrics.js';
import { MemoryCloud } from '../../src/providers/memory/memory-cloud.js';
import { memoryRegistry } from '../../src/providers/registry/registry.js';
import type { KeylessKind } from '../../src/reconcilers/ports.js';
import { type KindObjects, PRINCIPALS_SETTLE_MS, WAKE_UPS } from '../../src/wake-ups.js';
import { FakeClock, flushPromises } from '../support/fake-clock.js';
import { FakeListWatchSource } from './runtime/fake-list-watch-source.js';

const DEFAULT_RESYNC_MS = 600_000;
const RANDOM = 0.25;
const AWS: Partial<CloudAccountSpec> = {
  provider: 'aws',
  aws: { accountId: '123456789012', region: 'us-east-1', oidcProvider: { issuerUrl: 'https://issuer' } },
};
const AZURE: Partial<CloudAccountSpec> = {
  provider: 'azure',
  azure: {
    subscriptionId: '00000000-0000-4000-8000-000000000001',
    tenantId: '00000000-0000-4000-8000-000000000002',
    resourceGroup: 'rg',
    location: 'westeurope',
    issuerUrl: 'https://issuer',
  },
};
const GCP: Partial<CloudAccountSpec> = {
  provider: 'gcp',
  gcp: { projectId: 'p', projectNumber: '1', workloadIdentityPool: 'p.svc.id.goog' },
};

type Woken = Record<KeylessKind, string[]>;
const NOTHING: Woken = { CloudAccount: [], WorkloadIdentity: [], IdentityBinding: [] };
const woke = (some: Partial<Woken>): Woken => ({ ...NOTHING, ...some });

/**
 * A Manager whose informers list and watch fake collections, on a fake clock, with its controllers
 * never started: what a change wakes is read from the controllers' queues.
 */
async function world(
  options: {
    /** Objects already there when the informers first list. */
    existing?: Array<{ kind: KeylessKind; object: KubeObject }>;
    /** The first WorkloadIdentity list fails, so the other caches sync before that one. */
    identitiesListedLast?: boolean;
  } = {},
) {
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  const sources = {
    CloudAccount: new FakeListWatchSource<CloudAccount>(),
    WorkloadIdentity: new FakeListWatchSource<WorkloadIdentity>(),
    IdentityBinding: new FakeListWatchSource<IdentityBinding>(),
  };
  const manager = new Manager({
    sources,
    client: new KubeClient(new KubeConfig()),
    providers: memoryRegistry(new MemoryCloud({ clock })),
    metrics: new OperatorMetrics(),
    logger: pino({ level: 'silent' }),
    clock,
    random: () => RANDOM,
    clusterName: 'test',
    workers: 1,
    reconcileTimeoutMs: 60_000,
    defaultResyncMs: DEFAULT_RESYNC_MS,
    instance: 'test',
  });
  for (const { kind, object } of options.existing ?? []) sources[kind].apply(object as never);
  if (options.identitiesListedLast) sources.WorkloadIdentity.listFailures.push(new Error('connection reset'));
  manager.startInformers();
  await flushPromises();
  while (!manager.synced()) {
    clock.advance(100);
    await flushPromises();
  }
  await manager.waitForSync();
  await flushPromises();

  /** Every key queued and ready, per controller, taken off the queues. */
  async function woken(): Promise<Woken> {
    const result: Woken = { CloudAccount: [], WorkloadIdentity: [], IdentityBinding: [] };
    for (const kind of Object.keys(result) as KeylessKind[]) {
      const queue = manager.controllers[kind].queue;
      while (queue.len() > 0) {
        const key = (await queue.get()) as string;
        queue.done(key);
        result[kind].push(key);
      }
      result[kind].sort();
    }
    return result;
  }

  const sourceOf = <K extends KeylessKind>(kind: K) =>
    sources[kind] as unknown as FakeListWatchSource<KindObjects[K]>;

  /** Applies the object (or the change `edit` makes to the current one) and lets it be watched. */
  function apply<K extends KeylessKind>(kind: K, object: KindObjects[K]): KindObjects[K] {
    return sourceOf(kind).apply(object);
  }

  function edit<K extends KeylessKind>(
    kind: K,
    key: string,
    change: (object: KindObjects[K]) => void,
  ): KindObjects[K] {
    const current = structuredClone(sourceOf(kind).objects.get(key)) as KindObjects[K];
    change(current);
    return sourceOf(kind).apply(current);
  }

  /** Applies objects and takes the wake-ups of their arrival off the queues. */
  async function given(...objects: Array<{ kind: KeylessKind; object: KubeObject }>): Promise<void> {
    for (const { kind, object } of objects) sources[kind].apply(object as never);
    await woken();
  }

  return { clock, sources, manager, woken, apply, edit, given };
}

function ready(status: 'True' | 'False' = 'True'): Condition {
  return {
    type: 'Ready',
    status,
    reason: status === 'True' ? 'Available' : 'AccountNotReady',
    message: '',
    lastTransitionTime: '2026-01-01T00:00:00Z',
  };
}

function account(
  name: string,
  spec: Partial<CloudAccountSpec> = AWS,
): { kind: 'CloudAccount'; object: CloudAccount } {
  return {
    kind: 'CloudAccount',
    object: { metadata: { name, generation: 1 }, spec: { ...AWS, ...spec } as CloudAccountSpec },
  };
}

function identity(
  name: string,
  accountName = 'acct',
  extra: Partial<WorkloadIdentity> = {},
): { kind: 'WorkloadIdentity'; object: WorkloadIdentity } {
  return {
    kind: 'WorkloadIdentity',
    object: {
      metadata: { name, namespace: 'team', generation: 1 },
      spec: { accountRef: { name: accountName }, subjects: [{ serviceAccount: { name } }] },
      ...extra,
    },
  };
}

function binding(
  name: string,
  identityName = 'app',
  extra: Partial<IdentityBinding> = {},
): { kind: 'IdentityBinding'; object: IdentityBinding } {
  return {
    kind: 'IdentityBinding',
    object: {
      metadata: { name, namespace: 'team', generation: 1 },
      spec: { identityRef: { name: identityName }, grants: [{ resource: 'arn:aws:s3:::b', access: 'read' }] },
      ...extra,
    },
  };
}

/** Converged: Ready at its generation, as every object is when the operator restarts. */
const converged = { status: { observedGeneration: 1, conditions: [ready()] } };

const bumpGeneration = (object: KubeObject) => {
  object.metadata.generation = (object.metadata.generation ?? 0) + 1;
};
const markDeleted = (object: KubeObject) => {
  object.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
  object.metadata.finalizers = ['keyless.dev/cleanup'];
};
const addOurFinalizer = (object: KubeObject) => {
  object.metadata.finalizers = ['keyless.dev/cleanup'];
};

const TESTED_EDGES = [
  'account-own-change',
  'account-wakes-its-identities',
  'account-spec-wakes-its-bindings',
  'identity-first-seen',
  'identity-own-change',
  'identity-wakes-its-bindings',
  'identity-review-failure-refreshes-account',
  'last-identity-releases-deleting-account',
  'identity-principal-refreshes-account',
  'binding-first-seen',
  'binding-own-change',
  'binding-gone-wakes-its-identity',
  'binding-moved-wakes-its-old-identity',
];

describe('the wake-up graph', () => {
  it('has a test below for every edge', () => {
    expect(WAKE_UPS.map((e) => e.name)).toEqual(TESTED_EDGES);
  });
});

describe('account-own-change', () => {
  it('reconciles a new account, and one whose spec, annotations or deletion changed', async () => {
    const w = await world();
    w.apply('CloudAccount', account('acct').object);
    expect(await w.woken()).toEqual(woke({ CloudAccount: ['acct'] }));

    w.edit('CloudAccount', 'acct', bumpGeneration);
    expect(await w.woken()).toEqual(woke({ CloudAccount: ['acct'] }));

    w.edit('CloudAccount', 'acct', (a) => {
      a.metadata.annotations = { 'example.com/nudge': '1' };
    });
    expect(await w.woken()).toEqual(woke({ CloudAccount: ['acct'] }));

    w.edit('CloudAccount', 'acct', (a) => {
      a.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    });
    expect((await w.woken()).CloudAccount).toEqual(['acct']);
  });

  it('does not react to the operator’s own status and finalizer writes', async () => {
    const w = await world();
    await w.given(account('acct'));

    w.edit('CloudAccount', 'acct', addOurFinalizer);
    w.edit('CloudAccount', 'acct', (a) => {
      a.status = { identityCount: 3, callerIdentity: 'me' };
    });

    expect(await w.woken()).toEqual(NOTHING);
  });
});

describe('account-wakes-its-identities', () => {
  it('wakes its identities, and only its own, when it becomes Ready or its spec changes', async () => {
    const w = await world();
    await w.given(account('acct'), account('other'), identity('app'), identity('elsewhere', 'other'));

    w.edit('CloudAccount', 'acct', (a) => {
      a.status = { conditions: [ready()] };
    });
    expect(await w.woken()).toEqual(woke({ WorkloadIdentity: ['team/app'] }));

    w.edit('CloudAccount', 'acct', (a) => {
      a.status = { conditions: [ready('False')] };
    });
    expect(await w.woken()).toEqual(woke({ WorkloadIdentity: ['team/app'] }));

    w.edit('CloudAccount', 'acct', bumpGeneration);
    expect((await w.woken()).WorkloadIdentity).toEqual(['team/app']);
  });

  it('wakes its identities when it is gone', async () => {
    const w = await world();
    await w.given(account('acct'), identity('app'), identity('api'));

    w.sources.CloudAccount.remove('acct');

    expect(await w.woken()).toEqual(woke({ WorkloadIdentity: ['team/api', 'team/app'] }));
  });
});

describe('account-spec-wakes-its-bindings', () => {
  it('wakes the bindings of all its identities when its spec (its guardrails) changes', async () => {
    const w = await world();
    await w.given(
      account('acct'),
      account('other'),
      identity('app'),
      identity('api'),
      identity('elsewhere', 'other'),
      binding('app-read', 'app'),
      binding('api-write', 'api'),
      binding('elsewhere-read', 'elsewhere'),
    );

    w.edit('CloudAccount', 'acct', (a) => {
      a.spec.guardrails = { maxAccess: 'admin' };
      bumpGeneration(a);
    });

    expect(await w.woken()).toEqual({
      CloudAccount: ['acct'],
      WorkloadIdentity: ['team/api', 'team/app'],
      IdentityBinding: ['team/api-write', 'team/app-read'],
    });
  });

  it('leaves the bindings alone when only its status changes, or when it is being deleted', async () => {
    const w = await world();
    await w.given(account('acct'), identity('app'), binding('app-read', 'app'));

    w.edit('CloudAccount', 'acct', (a) => {
      a.status = { conditions: [ready()], identityCount: 1 };
    });
    expect((await w.woken()).IdentityBinding).toEqual([]);

    w.edit('CloudAccount', 'acct', (a) => {
      markDeleted(a);
      bumpGeneration(a);
    });
    expect((await w.woken()).IdentityBinding).toEqual([]);
  });
});

describe('identity-first-seen', () => {
  it('reconciles a new identity at once', async () => {
    const w = await world();
    await w.given(account('acct'));

    w.apply('WorkloadIdentity', identity('app').object);

    expect(await w.woken()).toEqual(woke({ WorkloadIdentity: ['team/app'] }));
  });

  it('spreads converged identities over their account’s resync interval, with the injected randomness', async () => {
    const w = await world();
    await w.given(account('acct', { resyncInterval: '4m' }));

    w.apply('WorkloadIdentity', identity('app', 'acct', converged).object);
    w.apply('WorkloadIdentity', identity('orphan', 'missing', converged).object);

    const queue = w.manager.controllers.WorkloadIdentity.queue;
    expect(await w.woken()).toEqual(NOTHING);
    expect(queue.delayedCount()).toBe(2);
    w.clock.advance(RANDOM * 240_000 - 1);
    expect(await w.woken()).toEqual(NOTHING);
    w.clock.advance(1);
    expect(await w.woken()).toEqual(woke({ WorkloadIdentity: ['team/app'] }));
    // Without its account, the operator's default resync interval spreads it.
    w.clock.advance(RANDOM * DEFAULT_RESYNC_MS - RANDOM * 240_000);
    expect(await w.woken()).toEqual(woke({ WorkloadIdentity: ['team/orphan'] }));
  });
});

describe('identity-own-change', () => {
  it('reconciles an identity whose spec, annotations or deletion changed, not its status or finalizer', async () => {
    const w = await world();
    await w.given(account('acct'), identity('app'));

    w.edit('WorkloadIdentity', 'team/app', addOurFinalizer);
    w.edit('WorkloadIdentity', 'team/app', (wi) => {
      wi.status = { observedGeneration: 1, lastSyncTime: '2026-01-01T00:00:00Z' };
    });
    expect(await w.woken()).toEqual(NOTHING);

    w.edit('WorkloadIdentity', 'team/app', bumpGeneration);
    expect(await w.woken()).toEqual(woke({ WorkloadIdentity: ['team/app'] }));
    w.edit('WorkloadIdentity', 'team/app', (wi) => {
      wi.metadata.annotations = { 'keyless.dev/adopt': 'true' };
    });
    expect(await w.woken()).toEqual(woke({ WorkloadIdentity: ['team/app'] }));
    w.edit('WorkloadIdentity', 'team/app', markDeleted);
    expect(await w.woken()).toEqual(woke({ WorkloadIdentity: ['team/app'] }));
  });
});

describe('identity-wakes-its-bindings', () => {
  it('wakes its bindings when Ready moves or its cloud name or principal changes, and when it is gone', async () => {
    const w = await world();
    await w.given(
      account('acct'),
      identity('app'),
      identity('api'),
      binding('app-read', 'app'),
      binding('app-write', 'app'),
      binding('api-read', 'api'),
    );
    const bindingsOfApp = woke({ IdentityBinding: ['team/app-read', 'team/app-write'] });

    w.edit('WorkloadIdentity', 'team/app', (wi) => {
      wi.status = { conditions: [ready()], externalName: 'role-app' };
    });
    expect(await w.woken()).toEqual(bindingsOfApp);

    w.edit('WorkloadIdentity', 'team/app', (wi) => {
      wi.status = { conditions: [ready()], externalName: 'role-app-2' };
    });
    expect(await w.woken()).toEqual(bindingsOfApp);

    w.edit('WorkloadIdentity', 'team/app', (wi) => {
      wi.status = { conditions: [ready()], externalName: 'role-app-2', lastSyncTime: '2026-01-02T00:00:00Z' };
    });
    expect(await w.woken()).toEqual(NOTHING);

    // Google Cloud and Azure grant to the principal (the member email, the principal id).
    w.edit('WorkloadIdentity', 'team/app', (wi) => {
      wi.status = { ...wi.status, principal: { principalId: 'p-1' } };
    });
    expect(await w.woken()).toEqual(bindingsOfApp);

    w.sources.WorkloadIdentity.remove('team/app');
    expect(await w.woken()).toEqual(bindingsOfApp);
  });

  it('does not wake them when an identity being deleted says it waits for them (they keep their grants until they go)', async () => {
    const w = await world();
    await w.given(account('acct'), identity('app'), binding('app-read', 'app'));
    w.edit('WorkloadIdentity', 'team/app', (wi) => {
      wi.status = { conditions: [ready()], externalName: 'role-app' };
    });
    expect(await w.woken()).toEqual(woke({ IdentityBinding: ['team/app-read'] }));
    w.edit('WorkloadIdentity', 'team/app', markDeleted);
    await w.woken();

    w.edit('WorkloadIdentity', 'team/app', (wi) => {
      wi.status = { ...wi.status, conditions: [ready('False')] };
    });
    expect(await w.woken()).toEqual(NOTHING);

    w.sources.WorkloadIdentity.remove('team/app');
    expect(await w.woken()).toEqual(woke({ IdentityBinding: ['team/app-read'] }));
  });
});

const reviewed = (reviewedAt: string, error?: string) => (wi: WorkloadIdentity) => {
  wi.status = {
    conditions: [ready()],
    externalName: 'role-app',
    usage: {
      reviewedAt,
      nextReviewAt: reviewedAt,
      source: 'RoleLastUsed',
      ...(error ? { error: { reason: error, message: 'refused' } } : {}),
    },
  };
};

describe('identity-wakes-its-bindings, on a review', () => {
  it('wakes its bindings when a review is written, not when only the next review time moves', async () => {
    const w = await world();
    await w.given(account('acct'), identity('app'), binding('app-read', 'app'));
    w.edit('WorkloadIdentity', 'team/app', (wi) => {
      wi.status = { conditions: [ready()], externalName: 'role-app' };
    });
    await w.woken();

    w.edit('WorkloadIdentity', 'team/app', reviewed('2026-01-02T00:00:00Z'));
    expect((await w.woken()).IdentityBinding).toEqual(['team/app-read']);

    w.edit('WorkloadIdentity', 'team/app', (wi) => {
      if (wi.status?.usage) wi.status.usage.nextReviewAt = '2026-01-03T00:00:00Z';
    });
    expect(await w.woken()).toEqual(NOTHING);
  });
});

describe('identity-review-failure-refreshes-account', () => {
  it("wakes the account, settled, when an identity's review failure appears, changes or clears", async () => {
    const w = await world();
    await w.given(account('acct'), identity('app'), identity('api'));

    w.edit('WorkloadIdentity', 'team/app', reviewed('2026-01-02T00:00:00Z', 'UsageReviewForbidden'));
    w.edit('WorkloadIdentity', 'team/api', reviewed('2026-01-02T00:00:00Z', 'UsageReviewForbidden'));
    await w.woken();
    w.clock.advance(PRINCIPALS_SETTLE_MS);
    expect((await w.woken()).CloudAccount).toEqual(['acct']);

    // The same failure again, a day later: nothing new for the account.
    w.edit('WorkloadIdentity', 'team/app', reviewed('2026-01-03T00:00:00Z', 'UsageReviewForbidden'));
    w.clock.advance(PRINCIPALS_SETTLE_MS);
    expect((await w.woken()).CloudAccount).toEqual([]);

    w.edit('WorkloadIdentity', 'team/app', reviewed('2026-01-04T00:00:00Z'));
    w.clock.advance(PRINCIPALS_SETTLE_MS);
    expect((await w.woken()).CloudAccount).toEqual(['acct']);
  });
});

describe('last-identity-releases-deleting-account', () => {
  it('wakes a deleting account when its last identity is gone, not before', async () => {
    const w = await world();
    await w.given(account('acct'), identity('app'), identity('api'));
    w.edit('CloudAccount', 'acct', markDeleted);
    await w.woken();

    w.sources.WorkloadIdentity.remove('team/app');
    expect((await w.woken()).CloudAccount).toEqual([]);

    w.sources.WorkloadIdentity.remove('team/api');
    expect((await w.woken()).CloudAccount).toEqual(['acct']);
  });

  it('wakes a deleting account when its last identity moves to another account', async () => {
    const w = await world();
    await w.given(account('acct'), account('next'), identity('app'));
    w.edit('CloudAccount', 'acct', markDeleted);
    await w.woken();

    w.edit('WorkloadIdentity', 'team/app', (wi) => {
      wi.spec.accountRef = { name: 'next' };
      bumpGeneration(wi);
    });

    expect(await w.woken()).toEqual(woke({ CloudAccount: ['acct'], WorkloadIdentity: ['team/app'] }));
  });

  it('leaves an account that is not being deleted alone when identities come and go', async () => {
    const w = await world();
    await w.given(account('acct'), identity('app'));

    w.apply('WorkloadIdentity', identity('api').object);
    w.sources.WorkloadIdentity.remove('team/app');
    w.sources.WorkloadIdentity.remove('team/api');
    w.clock.advance(60_000);

    expect((await w.woken()).CloudAccount).toEqual([]);
    expect(w.manager.controllers.CloudAccount.queue.delayedCount()).toBe(0);
  });
});

describe('identity-principal-refreshes-account', () => {
  const withPrincipal = (email: string) => (wi: WorkloadIdentity) => {
    wi.status = { conditions: [ready()], principal: { id: email, email } };
  };

  it('wakes a Google Cloud account once its identities’ principals have settled', async () => {
    const w = await world();
    await w.given(account('acct', GCP), identity('app'), identity('api'), identity('web'));

    w.edit('WorkloadIdentity', 'team/app', withPrincipal('app@p.iam.gserviceaccount.com'));
    w.clock.advance(PRINCIPALS_SETTLE_MS / 2);
    w.edit('WorkloadIdentity', 'team/api', withPrincipal('api@p.iam.gserviceaccount.com'));
    w.edit('WorkloadIdentity', 'team/web', withPrincipal('web@p.iam.gserviceaccount.com'));
    await w.woken();
    w.clock.advance(PRINCIPALS_SETTLE_MS / 2 - 1);
    expect((await w.woken()).CloudAccount).toEqual([]);

    w.clock.advance(1);
    expect(await w.woken()).toEqual(woke({ CloudAccount: ['acct'] }));
    w.clock.advance(PRINCIPALS_SETTLE_MS);
    expect(await w.woken()).toEqual(NOTHING);
  });

  it('wakes it when an identity with a principal is gone, or moves between accounts', async () => {
    const w = await world();
    await w.given(
      account('acct', GCP),
      account('next', GCP),
      identity('app', 'acct', { status: { principal: { email: 'app@p' } } }),
      identity('api', 'acct', { status: { principal: { email: 'api@p' } } }),
    );

    w.sources.WorkloadIdentity.remove('team/app');
    w.clock.advance(PRINCIPALS_SETTLE_MS);
    expect((await w.woken()).CloudAccount).toEqual(['acct']);

    w.edit('WorkloadIdentity', 'team/api', (wi) => {
      wi.spec.accountRef = { name: 'next' };
      bumpGeneration(wi);
    });
    w.clock.advance(PRINCIPALS_SETTLE_MS);
    expect((await w.woken()).CloudAccount).toEqual(['acct', 'next']);
  });

  it('leaves it alone when an identity is added, or changes without a new principal', async () => {
    const w = await world();
    await w.given(
      account('acct', GCP),
      identity('app', 'acct', { status: { principal: { email: 'app@p' } } }),
    );

    w.apply('WorkloadIdentity', identity('api').object);
    w.edit('WorkloadIdentity', 'team/app', (wi) => {
      wi.status = { ...wi.status, conditions: [ready()] };
    });
    w.clock.advance(PRINCIPALS_SETTLE_MS);

    expect((await w.woken()).CloudAccount).toEqual([]);
  });

  it('leaves AWS and Azure accounts alone: their check uses no principals', async () => {
    const w = await world();
    await w.given(account('aws'), account('azure', AZURE), identity('app', 'aws'), identity('api', 'azure'));

    w.edit('WorkloadIdentity', 'team/app', withPrincipal('arn:aws:iam::123456789012:role/app'));
    w.edit('WorkloadIdentity', 'team/api', withPrincipal('00000000-0000-4000-8000-000000000003'));
    w.sources.WorkloadIdentity.remove('team/app');
    w.sources.WorkloadIdentity.remove('team/api');
    w.clock.advance(PRINCIPALS_SETTLE_MS);

    expect((await w.woken()).CloudAccount).toEqual([]);
  });
});

describe('binding-first-seen', () => {
  it('reconciles a new binding at once', async () => {
    const w = await world();
    await w.given(account('acct'), identity('app'));

    w.apply('IdentityBinding', binding('app-read').object);

    expect(await w.woken()).toEqual(woke({ IdentityBinding: ['team/app-read'] }));
  });

  it('spreads converged bindings over the resync interval of their identity’s account', async () => {
    const w = await world();
    await w.given(account('acct', { resyncInterval: '2m' }), identity('app'));

    w.apply('IdentityBinding', binding('app-read', 'app', converged).object);

    expect(await w.woken()).toEqual(NOTHING);
    w.clock.advance(RANDOM * 120_000 - 1);
    expect(await w.woken()).toEqual(NOTHING);
    w.clock.advance(1);
    expect(await w.woken()).toEqual(woke({ IdentityBinding: ['team/app-read'] }));
  });

  it('spreads them so after a start too, when the bindings are listed before their identities', async () => {
    const w = await world({
      existing: [
        account('acct', { resyncInterval: '2m' }),
        identity('app', 'acct', converged),
        binding('app-read', 'app', converged),
      ],
      identitiesListedLast: true,
    });
    expect(w.sources.WorkloadIdentity.listCalls).toBe(2);

    // The account is reconciled at once after a start, whatever its state.
    expect(await w.woken()).toEqual(woke({ CloudAccount: ['acct'] }));
    w.clock.advance(RANDOM * 120_000 - 1);
    expect(await w.woken()).toEqual(NOTHING);
    w.clock.advance(1);
    expect(await w.woken()).toEqual(
      woke({ WorkloadIdentity: ['team/app'], IdentityBinding: ['team/app-read'] }),
    );
  });
});

describe('binding-own-change', () => {
  it('reconciles a binding whose spec, annotations or deletion changed, not its status or finalizer', async () => {
    const w = await world();
    await w.given(account('acct'), identity('app'), binding('app-read'));

    w.edit('IdentityBinding', 'team/app-read', addOurFinalizer);
    w.edit('IdentityBinding', 'team/app-read', (ib) => {
      ib.status = { observedGeneration: 1, conditions: [ready()] };
    });
    expect(await w.woken()).toEqual(NOTHING);

    for (const change of [
      bumpGeneration,
      (ib: IdentityBinding) => {
        ib.metadata.annotations = { note: 'x' };
      },
      markDeleted,
    ]) {
      w.edit('IdentityBinding', 'team/app-read', change);
      expect(await w.woken()).toEqual(woke({ IdentityBinding: ['team/app-read'] }));
    }
  });
});

describe('binding-gone-wakes-its-identity', () => {
  it('wakes its identity, which may be waiting for its last binding to go', async () => {
    const w = await world();
    await w.given(account('acct'), identity('app'), binding('app-read'), binding('other', 'api'));

    w.sources.IdentityBinding.remove('team/app-read');

    expect(await w.woken()).toEqual(woke({ WorkloadIdentity: ['team/app'] }));
  });
});

describe('binding-moved-wakes-its-old-identity', () => {
  it('wakes the identity a binding moved away from, which may be waiting for its last binding to go', async () => {
    const w = await world();
    await w.given(account('acct'), identity('app'), identity('api'), binding('app-read'));

    w.edit('IdentityBinding', 'team/app-read', (ib) => {
      ib.spec.identityRef = { name: 'api' };
      ib.metadata.generation = (ib.metadata.generation ?? 1) + 1;
    });

    expect(await w.woken()).toEqual(
      woke({ IdentityBinding: ['team/app-read'], WorkloadIdentity: ['team/app'] }),
    );
  });
});

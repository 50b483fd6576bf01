import { describe, expect, it } from 'vitest';
import {
  attentionOf,
  buildReadModel,
  type CloudChange,
  ConditionHistory,
  FULL_ACCESS,
  facetsOf,
  filterViews,
  findView,
  identityDetail,
  type KeylessEvent,
  type ReadModelInput,
  RecentChanges,
  restrictTo,
  seesNothing,
} from '../../../src/views/index.js';
import { account, binding, condition, identity, ready, T0 } from './fixtures.js';

const NOW = Date.parse('2026-03-02T10:00:00Z');
const HOUR = 3600_000;

function input(extra: Partial<ReadModelInput> = {}): ReadModelInput {
  return {
    accounts: [account('aws-prod')],
    identities: [
      identity('orders-api', 'shop', {
        conditions: ready,
        observedGeneration: 1,
        principal: {
          id: 'arn:aws:iam::123456789012:role/keyless/orders',
          roleArn: 'arn:aws:iam::123456789012:role/keyless/orders',
        },
        externalName: 'keyless-shop-orders',
      }),
      identity('ledger', 'payments'),
    ],
    bindings: [
      binding('orders-read', 'orders-api', 'shop', {
        conditions: ready,
        observedGeneration: 1,
        grants: [{ resource: 'arn:aws:s3:::shop-invoices', summary: 's3:GetObject,s3:ListBucket' }],
      }),
      binding(
        'orders-admin',
        'orders-api',
        'shop',
        {
          conditions: [
            condition('Ready', 'False', 'GuardrailViolation'),
            condition(
              'Synced',
              'False',
              'GuardrailViolation',
              'grant 0 (s3:*) exceeds maxAccess write',
              '2026-03-02T09:00:00Z',
            ),
          ],
        },
        { grants: [{ resource: 'arn:aws:s3:::shop-invoices', actions: ['s3:*'] }] },
      ),
      binding('ledger-temp', 'ledger', 'payments', undefined, {
        expiresAt: new Date(NOW + 2 * HOUR).toISOString(),
      }),
    ],
    now: NOW,
    ...extra,
  };
}

describe('buildReadModel', () => {
  it('builds each kind from spec and status', () => {
    const model = buildReadModel(input());
    expect(model.accounts).toEqual([
      expect.objectContaining({
        kind: 'CloudAccount',
        name: 'aws-prod',
        cloud: 'aws',
        account: 'aws-prod',
        state: 'Ready',
        target: { label: 'AWS account', value: '123456789012' },
        callerIdentity: 'arn:aws:iam::123456789012:user/keyless',
        identityCount: 1,
        guardrails: [
          { label: 'denied actions', value: 'iam:*' },
          { label: 'highest access', value: 'write' },
        ],
      }),
    ]);
    const orders = findView(model, 'WorkloadIdentity', 'shop', 'orders-api');
    expect(orders).toMatchObject({
      cloud: 'aws',
      account: 'aws-prod',
      state: 'Ready',
      principal: {
        id: 'arn:aws:iam::123456789012:role/keyless/orders',
        fields: [{ label: 'role ARN', value: 'arn:aws:iam::123456789012:role/keyless/orders' }],
      },
      externalName: 'keyless-shop-orders',
      subjects: [
        { kind: 'ServiceAccount', name: 'orders-api', trusted: 'system:serviceaccount:shop:orders-api' },
      ],
      driftPolicy: 'Correct',
      managementPolicy: 'Manage',
      deletionPolicy: 'Delete',
      bindings: ['orders-admin', 'orders-read'],
    });
    expect(findView(model, 'IdentityBinding', 'shop', 'orders-read')).toMatchObject({
      identity: 'orders-api',
      account: 'aws-prod',
      cloud: 'aws',
      principal: 'arn:aws:iam::123456789012:role/keyless/orders',
      grants: [
        {
          resource: 'arn:aws:s3:::shop-invoices',
          wanted: 'read access',
          allowed: 's3:GetObject,s3:ListBucket',
        },
      ],
    });
    expect(findView(model, 'IdentityBinding', 'shop', 'orders-admin')).toMatchObject({
      state: 'Stalled',
      grants: [{ resource: 'arn:aws:s3:::shop-invoices', wanted: 'actions s3:*' }],
    });
  });

  it('carries the usage review and what runs as the identity, and nothing of them when status has none', () => {
    const fn = 'arn:aws:lambda:eu-west-1:123456789012:function:orders';
    const model = buildReadModel(
      input({
        identities: [
          identity('orders-api', 'shop', {
            conditions: [...ready, condition('Unused', 'True', 'Unused')],
            usage: {
              source: 'RoleLastUsed',
              reviewedAt: '2026-03-02T09:00:00Z',
              nextReviewAt: '2026-03-03T09:00:00Z',
            },
            functions: [{ arn: fn, state: 'Forbidden', message: 'no' }],
            podIdentityAssociations: [
              { serviceAccount: 'orders-api', associationId: 'a-1', roleArn: 'r', state: 'Associated' },
            ],
          }),
          identity('ledger', 'payments'),
        ],
      }),
    );
    expect(findView(model, 'WorkloadIdentity', 'shop', 'orders-api')).toMatchObject({
      unused: true,
      reviewedAt: '2026-03-02T09:00:00Z',
      attachments: [
        { target: fn, kind: 'Function', state: 'Forbidden', message: 'no' },
        { target: 'orders-api', kind: 'PodIdentityAssociation', state: 'Associated' },
      ],
    });
    const ledger = findView(model, 'WorkloadIdentity', 'payments', 'ledger');
    expect(ledger).not.toHaveProperty('attachments');
    expect(ledger).not.toHaveProperty('reviewedAt');
  });

  it('sorts every kind by namespace and name', () => {
    const model = buildReadModel(input());
    expect(model.identities.map((v) => `${v.namespace}/${v.name}`)).toEqual([
      'payments/ledger',
      'shop/orders-api',
    ]);
    expect(model.bindings.map((v) => v.name)).toEqual(['ledger-temp', 'orders-admin', 'orders-read']);
  });

  it('shows no credential: neither the Secret an account reads nor any annotation', () => {
    const text = JSON.stringify(buildReadModel(input()));
    expect(text).not.toContain('aws-keys');
    expect(text).not.toContain('secretRef');
    expect(text).not.toContain('not-shown');
  });

  it('names subjects as the cloud trusts them', () => {
    const model = buildReadModel(
      input({
        identities: [
          identity('fn', 'shop', undefined, {
            subjects: [
              { serverless: { platform: 'GCPCloudRunFunction', deployers: ['user:ci@example.com'] } },
              { serviceAccount: { name: 'fn-runner' } },
            ],
          }),
        ],
      }),
    );
    expect(model.identities[0]?.subjects).toEqual([
      {
        kind: 'Serverless',
        name: 'GCPCloudRunFunction',
        trusted: 'Cloud Run functions running as this service account; deployed by user:ci@example.com',
      },
      { kind: 'ServiceAccount', name: 'fn-runner', trusted: 'system:serviceaccount:shop:fn-runner' },
    ]);
  });

  it('reads a binding’s end from status, else from its spec', () => {
    const model = buildReadModel(
      input({
        bindings: [
          binding('by-status', 'orders-api', 'shop', {
            conditions: ready,
            expiresAt: '2026-03-02T12:00:00Z',
          }),
          binding('by-duration', 'orders-api', 'shop', { conditions: ready }, { duration: '8h' }),
          binding('bad-duration', 'orders-api', 'shop', { conditions: ready }, { duration: 'soon' }),
        ],
      }),
    );
    expect(model.bindings.map((b) => [b.name, b.expiresAt])).toEqual([
      ['bad-duration', undefined],
      ['by-duration', '2026-03-01T18:00:00.000Z'],
      ['by-status', '2026-03-02T12:00:00Z'],
    ]);
  });

  it('puts each Event and each cloud change beside its object, newest first and bounded', () => {
    const event = (minute: number, regarding: KeylessEvent['regarding']): KeylessEvent => ({
      regarding,
      type: 'Normal',
      reason: 'Updated',
      message: `minute ${minute}`,
      time: new Date(Date.parse(T0) + minute * 60_000).toISOString(),
      count: 1,
    });
    const events = [
      ...Array.from({ length: 25 }, (_, i) =>
        event(i, {
          kind: 'WorkloadIdentity',
          name: 'orders-api',
          namespace: 'shop',
          uid: 'uid-shop-orders-api',
        }),
      ),
      event(100, { kind: 'CloudAccount', name: 'aws-prod' }),
      event(101, { kind: 'WorkloadIdentity', name: 'orders-api', namespace: 'other' }),
    ];
    const change: CloudChange = {
      time: T0,
      provider: 'aws',
      account: 'aws-prod',
      operation: 'grants.update',
      owner: { namespace: 'shop', name: 'orders-read', uid: 'uid-shop-orders-read' },
      outcome: 'success',
    };
    const model = buildReadModel(input({ events, changes: [change] }));
    const orders = findView(model, 'WorkloadIdentity', 'shop', 'orders-api');
    expect(orders?.events).toHaveLength(20);
    expect(orders?.events[0]?.message).toBe('minute 24');
    expect(findView(model, 'CloudAccount', '', 'aws-prod')?.events.map((e) => e.message)).toEqual([
      'minute 100',
    ]);
    expect(findView(model, 'IdentityBinding', 'shop', 'orders-read')?.changes).toEqual([change]);
    expect(orders?.changes).toEqual([]);
  });

  it('takes condition history by uid', () => {
    const history = new ConditionHistory();
    history.record('uid-shop-orders-api', undefined, [condition('Ready', 'False', 'IdentityNotReady')], T0);
    history.record(
      'uid-shop-orders-api',
      [condition('Ready', 'False', 'IdentityNotReady')],
      [condition('Ready', 'True', 'Available', 'ok', '2026-03-01T10:01:00Z')],
      '2026-03-01T10:01:00Z',
    );
    const model = buildReadModel(input({ history: (uid) => history.of(uid) }));
    expect(
      findView(model, 'WorkloadIdentity', 'shop', 'orders-api')?.history.map(
        (h) => `${h.status}/${h.reason}@${h.time}`,
      ),
    ).toEqual([`False/IdentityNotReady@${T0}`, 'True/Available@2026-03-01T10:01:00Z']);
  });
});

describe('attentionOf', () => {
  it('lists stalled and failing first, then drifted, then grants ending within 24 h', () => {
    const model = buildReadModel(
      input({
        identities: [
          identity('drifted', 'shop', {
            conditions: [
              ...ready.slice(0, 2),
              condition('Drifted', 'True', 'DriftDetected', 'maxSessionDuration: wanted 3600, found 7200'),
            ],
            observedGeneration: 1,
            drift: [{ field: 'maxSessionDuration', wanted: '3600', found: '7200' }],
          }),
          identity('throttled', 'shop', {
            conditions: [
              condition('Ready', 'False', 'Throttled'),
              condition('Synced', 'False', 'Throttled', 'slow down', '2026-03-02T08:00:00Z'),
            ],
          }),
          identity('fine', 'shop'),
        ],
        bindings: [
          binding('refused', 'fine', 'shop', {
            conditions: [
              condition(
                'Synced',
                'False',
                'GuardrailViolation',
                'grant 0 breaks deniedActions iam:*',
                '2026-03-02T09:00:00Z',
              ),
            ],
          }),
          binding('soon', 'fine', 'shop', {
            conditions: ready,
            expiresAt: new Date(NOW + HOUR).toISOString(),
          }),
          binding('sooner', 'fine', 'shop', {
            conditions: ready,
            expiresAt: new Date(NOW + 60_000).toISOString(),
          }),
          binding('later', 'fine', 'shop', {
            conditions: ready,
            expiresAt: new Date(NOW + 25 * HOUR).toISOString(),
          }),
          binding('ended', 'fine', 'shop', {
            conditions: [condition('Ready', 'False', 'Expired')],
            expiresAt: new Date(NOW - HOUR).toISOString(),
          }),
        ],
      }),
    );
    expect(attentionOf(model).map((a) => [a.why, a.view.name, a.reason])).toEqual([
      ['Stalled', 'refused', 'GuardrailViolation'],
      ['Failing', 'throttled', 'Throttled'],
      ['Drifted', 'drifted', 'DriftDetected'],
      ['Expiring', 'sooner', 'Expiring'],
      ['Expiring', 'soon', 'Expiring'],
    ]);
    expect(attentionOf(model)[0]?.message).toBe('grant 0 breaks deniedActions iam:*');
  });

  it('is empty when everything is as declared', () => {
    expect(attentionOf(buildReadModel(input({ bindings: [] })))).toEqual([]);
  });
});

describe('filterViews and facetsOf', () => {
  const model = buildReadModel(input());
  const names = (filter: Parameters<typeof filterViews>[1]) => filterViews(model, filter).map((v) => v.name);
  const cases: [string, Parameters<typeof filterViews>[1], string[]][] = [
    ['nothing set', {}, ['aws-prod', 'ledger', 'orders-api', 'ledger-temp', 'orders-admin', 'orders-read']],
    ['namespace', { namespace: 'payments' }, ['ledger', 'ledger-temp']],
    ['kind', { kind: 'WorkloadIdentity' }, ['ledger', 'orders-api']],
    ['cloud', { cloud: 'gcp' }, []],
    [
      'account',
      { account: 'aws-prod', kind: 'IdentityBinding' },
      ['ledger-temp', 'orders-admin', 'orders-read'],
    ],
    ['state', { state: 'Stalled' }, ['orders-admin']],
    [
      'search by name (and a binding by its identity), any case',
      { search: 'ORDERS-A' },
      ['orders-api', 'orders-admin', 'orders-read'],
    ],
    ['search by namespace/name', { search: 'payments/led' }, ['ledger', 'ledger-temp']],
    ['search by principal', { search: 'role/keyless/orders' }, ['orders-api', 'orders-admin', 'orders-read']],
    ['combined', { namespace: 'shop', state: 'Ready', kind: 'IdentityBinding' }, ['orders-read']],
  ];
  it.each(cases)('%s', (_name, filter, want) => {
    expect(names(filter)).toEqual(want);
  });

  it('offers the values present', () => {
    expect(facetsOf(model)).toEqual({
      kinds: ['CloudAccount', 'WorkloadIdentity', 'IdentityBinding'],
      namespaces: ['payments', 'shop'],
      clouds: ['aws'],
      accounts: ['aws-prod'],
      states: ['Stalled', 'Ready'],
    });
  });
});

describe('restrictTo', () => {
  const model = buildReadModel(input());
  it('keeps everything with full access', () => {
    expect(restrictTo(model, FULL_ACCESS)).toEqual(model);
  });

  it('keeps only the namespaces and kinds a user may list', () => {
    const seen = restrictTo(model, {
      accounts: false,
      namespaces: { WorkloadIdentity: new Set(['shop']), IdentityBinding: new Set(['payments']) },
    });
    expect(seen.accounts).toEqual([]);
    expect(seen.identities.map((v) => v.name)).toEqual(['orders-api']);
    // The identity's bindings are in a namespace where the user may not list bindings.
    expect(seen.identities[0]?.bindings).toEqual([]);
    expect(seen.bindings.map((v) => v.name)).toEqual(['ledger-temp']);
  });

  it('knows a user who may see nothing', () => {
    const none = {
      accounts: false,
      namespaces: { WorkloadIdentity: new Set<string>(), IdentityBinding: new Set<string>() },
    };
    expect(seesNothing(none)).toBe(true);
    expect(seesNothing({ ...none, accounts: true })).toBe(false);
    expect(seesNothing(FULL_ACCESS)).toBe(false);
    expect(restrictTo(model, none)).toEqual({ now: NOW, accounts: [], identities: [], bindings: [] });
  });
});

describe('identityDetail', () => {
  it('gathers the identity, its account and its bindings', () => {
    const detail = identityDetail(buildReadModel(input()), 'shop', 'orders-api');
    expect(detail?.identity.name).toBe('orders-api');
    expect(detail?.account?.name).toBe('aws-prod');
    expect(detail?.bindings.map((b) => b.name)).toEqual(['orders-admin', 'orders-read']);
  });

  it('is undefined for an identity not in the model', () => {
    expect(identityDetail(buildReadModel(input()), 'shop', 'nope')).toBeUndefined();
  });
});

describe('ConditionHistory and RecentChanges', () => {
  it('records only changes of status or reason, bounded per object', () => {
    const history = new ConditionHistory(3, 2);
    const a = [condition('Ready', 'False', 'IdentityNotReady')];
    history.record('x', undefined, a, T0);
    history.record('x', a, [condition('Ready', 'False', 'IdentityNotReady', 'new message')], T0);
    expect(history.of('x')).toHaveLength(1);
    for (const reason of ['Throttled', 'CloudUnavailable', 'Available']) {
      history.record('x', a, [condition('Ready', reason === 'Available' ? 'True' : 'False', reason)], T0);
    }
    expect(history.of('x').map((t) => t.reason)).toEqual(['Throttled', 'CloudUnavailable', 'Available']);
    history.record('y', undefined, a, T0);
    history.record('z', undefined, a, T0);
    expect(history.of('x')).toEqual([]);
    history.forget('y');
    expect(history.of('y')).toEqual([]);
    expect(history.of('z')).toHaveLength(1);
  });

  it('keeps the last changes', () => {
    const changes = new RecentChanges(2);
    for (const name of ['a', 'b', 'c']) {
      changes.add({
        time: T0,
        provider: 'aws',
        account: 'x',
        operation: 'identities.create',
        owner: { namespace: 's', name, uid: name },
        outcome: 'success',
      });
    }
    expect(changes.list().map((c) => c.owner.name)).toEqual(['b', 'c']);
  });
});

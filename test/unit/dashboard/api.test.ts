import { describe, expect, it } from 'vitest';
import { answer, filterFrom } from '../../../src/dashboard/api.js';
import type { BindingAnswer, Overview } from '../../../src/dashboard/api-types.js';
import { isLoopbackHost } from '../../../src/dashboard/server.js';
import { buildReadModel } from '../../../src/views/index.js';
import { account, binding, condition, identity, ready } from '../views/fixtures.js';

const model = buildReadModel({
  accounts: [account('aws-prod')],
  identities: [identity('orders-api'), identity('ledger', 'payments')],
  bindings: [
    binding('orders-read', 'orders-api'),
    binding('refused', 'orders-api', 'shop', {
      conditions: [condition('Synced', 'False', 'GuardrailViolation', 'grant 0 breaks deniedActions iam:*')],
    }),
    binding('ledger-temp', 'ledger', 'payments', { conditions: ready, expiresAt: '2026-03-01T12:00:00Z' }),
  ],
  now: Date.parse('2026-03-01T11:00:00Z'),
});
const get = (path: string, query = '') => answer(model, path, new URLSearchParams(query), { revision: 7 });

describe('the JSON API', () => {
  it('answers the overview with attention, the filtered objects, their total and facets', () => {
    const result = get('/overview', 'namespace=payments');
    expect(result.status).toBe(200);
    const overview = result.body as Overview;
    expect(overview.revision).toBe(7);
    expect(overview.attention.map((a) => [a.why, a.object.name])).toEqual([
      ['Stalled', 'refused'],
      ['Expiring', 'ledger-temp'],
    ]);
    expect(overview.objects.map((o) => [o.kind, o.name, o.path])).toEqual([
      ['WorkloadIdentity', 'ledger', '/api/v1/namespaces/payments/workloadidentities/ledger'],
      ['IdentityBinding', 'ledger-temp', '/api/v1/namespaces/payments/identitybindings/ledger-temp'],
    ]);
    expect(overview.total).toBe(6);
    expect(overview.facets.namespaces).toEqual(['payments', 'shop']);
  });

  it('answers each kind’s detail at its path, and 404 for what it does not have', () => {
    expect(get('/cloudaccounts/aws-prod')).toMatchObject({
      status: 200,
      body: { account: { name: 'aws-prod' } },
    });
    expect(get('/namespaces/shop/workloadidentities/orders-api')).toMatchObject({
      status: 200,
      body: { identity: { name: 'orders-api' }, account: { name: 'aws-prod' } },
    });
    const bindingAnswer = get('/namespaces/shop/identitybindings/refused').body as BindingAnswer;
    expect(bindingAnswer.binding.state).toBe('Stalled');
    expect(bindingAnswer.identity?.path).toBe('/api/v1/namespaces/shop/workloadidentities/orders-api');
    expect(get('/namespaces/shop/identitybindings/nope')).toEqual({
      status: 404,
      body: { error: 'IdentityBinding shop/nope not found' },
    });
    expect(get('/somewhere').status).toBe(404);
  });

  it.each([
    ['kind=Pod', /kind must be one of CloudAccount, WorkloadIdentity, IdentityBinding/],
    ['state=Broken', /state must be one of Stalled/],
    ['colour=red', /unknown parameter colour/],
  ])('refuses the filter %s with 400', (query, message) => {
    const result = get('/overview', query);
    expect(result.status).toBe(400);
    expect((result.body as { error: string }).error).toMatch(message);
  });

  it('reads every filter', () => {
    expect(
      filterFrom(
        new URLSearchParams(
          'kind=IdentityBinding&state=Ready&namespace=shop&cloud=aws&account=a&search=x&state=',
        ),
      ),
    ).toEqual({
      kind: 'IdentityBinding',
      state: 'Ready',
      namespace: 'shop',
      cloud: 'aws',
      account: 'a',
      search: 'x',
    });
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['localhost:8081', true],
    ['127.0.0.1:8081', true],
    ['127.0.0.1', true],
    ['[::1]:8081', true],
    ['keyless.example.com', false],
    ['127.0.0.1.nip.io:8081', false],
    [undefined, false],
  ])('%j: %j', (host, want) => {
    expect(isLoopbackHost(host)).toBe(want);
  });
});

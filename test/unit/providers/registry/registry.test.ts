import { describe, expect, it } from 'vitest';
import type { CloudAccountSpec } from '../../../../src/api/index.js';
import { resolveGrants } from '../../../../src/providers/memory/mapping.js';
import { MemoryCloud } from '../../../../src/providers/memory/memory-cloud.js';
import { MemoryProvider } from '../../../../src/providers/memory/memory-provider.js';
import { type CallOutcome, instrumentRegistry } from '../../../../src/providers/registry/instrumented.js';
import {
  cloudRegistry,
  type DeferredCloud,
  deferredFactory,
  memoryRegistry,
  type ProviderFactory,
} from '../../../../src/providers/registry/registry.js';
import { ClassifiedError } from '../../../../src/runtime/errors.js';
import { AWS_ACCOUNT_SPEC } from '../../../support/account-specs.js';
import { testContext } from '../../../support/context.js';

const AWS = AWS_ACCOUNT_SPEC;
const ctx = testContext();
const GCP: CloudAccountSpec = {
  provider: 'gcp',
  gcp: { projectId: 'shop', projectNumber: '123', workloadIdentityPool: 'pool' },
};

describe('cloudRegistry', () => {
  it('answers every call for a cloud without a provider in this build with a terminal ProviderUnavailable', async () => {
    const provider = cloudRegistry({}).forAccount({ name: 'a', spec: AWS });
    await expect(
      provider.accounts.check(ctx, { name: 'a', spec: AWS }, { principals: [] }),
    ).rejects.toMatchObject({
      kind: 'terminal',
      reason: 'ProviderUnavailable',
      message: 'the aws provider is not available in this build of Keyless',
    });
  });

  it('builds one provider per account and rebuilds it when the account spec changes', () => {
    let built = 0;
    const factory = () => {
      built += 1;
      return memoryRegistry(new MemoryCloud()).forAccount({ name: 'a', spec: AWS });
    };
    const registry = cloudRegistry({ aws: factory });
    const first = registry.forAccount({ name: 'a', spec: AWS });
    expect(registry.forAccount({ name: 'a', spec: AWS })).toBe(first);
    registry.forAccount({ name: 'a', spec: { ...AWS, resyncInterval: '1m' } });
    expect(built).toBe(2);
  });
});

/** A cloud that counts its imports and provider builds; an import completes when the test calls `load`. */
function countedCloud(name: DeferredCloud['name'], cloud = new MemoryCloud()) {
  const counts = { loads: 0, built: [] as string[] };
  let release: (factory: ProviderFactory) => void = () => {};
  const module = new Promise<ProviderFactory>((resolve) => {
    release = resolve;
  });
  const deferred: DeferredCloud = {
    name,
    resolve: resolveGrants,
    validate: () => {},
    load: () => {
      counts.loads += 1;
      return module;
    },
  };
  const factory: ProviderFactory = (account) => {
    counts.built.push(account.name);
    return new MemoryProvider(cloud);
  };
  return { counts, deferred, load: () => release(factory) };
}

describe('deferredFactory', () => {
  it('loads the module of a cloud only when one of its accounts first calls the cloud', async () => {
    const aws = countedCloud('aws');
    const gcp = countedCloud('gcp');
    aws.load();
    gcp.load();
    const registry = cloudRegistry({
      aws: deferredFactory(aws.deferred),
      gcp: deferredFactory(gcp.deferred),
    });
    const account = { name: 'a', spec: AWS };

    const provider = registry.forAccount(account);
    expect(provider.name).toBe('aws');
    expect(provider.grants.resolve([{ resource: 'bucket', access: 'read' }], account)).toHaveLength(1);
    expect(aws.counts.loads).toBe(0);

    await expect(provider.accounts.check(ctx, account, { principals: [] })).resolves.toMatchObject({
      callerIdentity: expect.any(String),
    });
    expect(aws.counts).toEqual({ loads: 1, built: ['a'] });
    expect(gcp.counts).toEqual({ loads: 0, built: [] });
  });

  it('imports once and builds one provider per account when first calls run concurrently', async () => {
    const aws = countedCloud('aws');
    const registry = cloudRegistry({ aws: deferredFactory(aws.deferred) });
    const accounts = [
      { name: 'a', spec: AWS },
      { name: 'b', spec: AWS },
    ];
    const calls = accounts.flatMap((account) => {
      const provider = registry.forAccount(account);
      return [1, 2, 3].map(() => provider.accounts.check(ctx, account, { principals: [] }));
    });
    aws.load();
    await Promise.all(calls);
    expect(aws.counts).toEqual({ loads: 1, built: ['a', 'b'] });
  });

  it('answers every call with a terminal ProviderUnavailable wrapping the cause when the import fails, without importing again', async () => {
    let loads = 0;
    const cause = new Error("Cannot find package '@aws-sdk/client-iam'");
    const registry = cloudRegistry({
      aws: deferredFactory({
        name: 'aws',
        resolve: resolveGrants,
        validate: () => {},
        load: async () => {
          loads += 1;
          throw cause;
        },
      }),
    });
    const account = { name: 'a', spec: AWS };
    const provider = registry.forAccount(account);
    const request = {
      owner: { cluster: 'c', namespace: 'shop', name: 'orders-api', uid: 'u-1' },
      account,
      spec: { accountRef: { name: 'a' }, subjects: [{ serviceAccount: { name: 'orders-api' } }] },
      adopt: false,
    };
    const failures = await Promise.allSettled([
      provider.accounts.check(ctx, account, { principals: [] }),
      provider.identities.observe(ctx, request),
      registry.forAccount({ name: 'b', spec: AWS }).identities.delete(ctx, request),
    ]);

    for (const failure of failures) {
      expect(failure.status).toBe('rejected');
      const err = (failure as PromiseRejectedResult).reason;
      expect(err).toBeInstanceOf(ClassifiedError);
      expect(err).toMatchObject({
        kind: 'terminal',
        reason: 'ProviderUnavailable',
        message: "could not load the aws provider: Cannot find package '@aws-sdk/client-iam'",
      });
      expect((err as ClassifiedError).cause).toBe(cause);
    }
    expect(loads).toBe(1);
  });

  it('rebuilds the provider of an account whose spec changed from the module already loaded', async () => {
    const aws = countedCloud('aws');
    aws.load();
    const registry = cloudRegistry({ aws: deferredFactory(aws.deferred) });
    const before = { name: 'a', spec: AWS };
    const after = { name: 'a', spec: { ...AWS, resyncInterval: '1m' } };

    await registry.forAccount(before).accounts.check(ctx, before, { principals: [] });
    await registry.forAccount(before).accounts.check(ctx, before, { principals: [] });
    const rebuilt = registry.forAccount(after);
    expect(rebuilt).not.toBe(registry.forAccount(before));
    await rebuilt.accounts.check(ctx, after, { principals: [] });

    expect(aws.counts).toEqual({ loads: 1, built: ['a', 'a'] });
  });

  it('builds the provider again on the next call when building it threw', async () => {
    let attempts = 0;
    const registry = cloudRegistry({
      gcp: deferredFactory({
        name: 'gcp',
        resolve: resolveGrants,
        validate: () => {},
        load: async () => (account) => {
          attempts += 1;
          if (attempts === 1) throw new Error(`no credentials for ${account.name}`);
          return new MemoryProvider(new MemoryCloud());
        },
      }),
    });
    const account = { name: 'a', spec: GCP };
    const provider = registry.forAccount(account);
    await expect(provider.accounts.check(ctx, account, { principals: [] })).rejects.toThrow(
      'no credentials for a',
    );
    await expect(provider.accounts.check(ctx, account, { principals: [] })).resolves.toBeDefined();
    expect(attempts).toBe(2);
  });
});

describe('instrumentRegistry', () => {
  it('counts each contract call by provider, operation and outcome, and each account check by account', async () => {
    const cloud = new MemoryCloud();
    const calls: [string, string, CallOutcome][] = [];
    const checks: [string, string, CallOutcome][] = [];
    const registry = instrumentRegistry(memoryRegistry(cloud), {
      observe: (...call) => calls.push(call),
      audit: () => {},
      accountChecked: (...check) => checks.push(check),
    });
    const provider = registry.forAccount({ name: 'a', spec: AWS });
    expect(registry.forAccount({ name: 'a', spec: AWS })).toBe(provider);

    await provider.accounts.check(ctx, { name: 'a', spec: AWS }, { principals: [] });
    cloud.failNext(
      'CheckAccount',
      new ClassifiedError('slow down', { kind: 'throttled', reason: 'Throttled' }),
    );
    await expect(provider.accounts.check(ctx, { name: 'a', spec: AWS }, { principals: [] })).rejects.toThrow(
      'slow down',
    );

    expect(calls).toEqual([
      ['memory', 'accounts.check', 'success'],
      ['memory', 'accounts.check', 'throttled'],
    ]);
    // Account checks are also told with the account's name; other calls are not.
    await provider.identities.observe(ctx, {
      owner: { cluster: 'c', namespace: 'shop', name: 'orders-api', uid: 'u-1' },
      account: { name: 'a', spec: AWS },
      spec: { accountRef: { name: 'a' }, subjects: [{ serviceAccount: { name: 'orders-api' } }] },
      adopt: false,
    });
    expect(checks).toEqual([
      ['memory', 'a', 'success'],
      ['memory', 'a', 'throttled'],
    ]);
  });
});

describe('the audit stream', () => {
  it('gets one entry per cloud change, with the owner and the outcome, and none for reads', async () => {
    const cloud = new MemoryCloud();
    const entries: unknown[] = [];
    const registry = instrumentRegistry(memoryRegistry(cloud), {
      observe: () => {},
      audit: (e) => entries.push(e),
    });
    const provider = registry.forAccount({ name: 'a', spec: AWS });
    const request = {
      owner: { cluster: 'c', namespace: 'shop', name: 'orders-api', uid: 'u-1' },
      account: { name: 'a', spec: AWS },
      spec: { accountRef: { name: 'a' }, subjects: [{ serviceAccount: { name: 'orders-api' } }] },
      adopt: false,
    };
    await provider.identities.observe(ctx, request);
    await provider.identities.create(ctx, request);
    cloud.failNext(
      'DeleteIdentity',
      new ClassifiedError('denied', { kind: 'terminal', reason: 'AccessDenied' }),
    );
    await expect(provider.identities.delete(ctx, request)).rejects.toThrow('denied');

    expect(entries).toEqual([
      {
        provider: 'memory',
        account: 'a',
        operation: 'identities.create',
        owner: request.owner,
        outcome: 'success',
      },
      {
        provider: 'memory',
        account: 'a',
        operation: 'identities.delete',
        owner: request.owner,
        outcome: 'terminal',
        error: 'denied',
      },
    ]);
  });
});

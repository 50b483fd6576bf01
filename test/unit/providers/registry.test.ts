import { describe, expect, it } from 'vitest';
import type { CloudAccountSpec } from '../../../src/api/index.js';
import { CloudError } from '../../../src/providers/cloud-error.js';
import { type CallOutcome, instrumentRegistry } from '../../../src/providers/instrumented.js';
import { MemoryCloud } from '../../../src/providers/memory/memory-cloud.js';
import { cloudRegistry, memoryRegistry } from '../../../src/providers/registry.js';

const AWS: CloudAccountSpec = {
  provider: 'aws',
  aws: { accountId: '123456789012', region: 'us-east-1', oidcProvider: { issuerUrl: 'https://issuer' } },
};

describe('cloudRegistry', () => {
  it('answers every call for a cloud without a provider in this build with a terminal ProviderUnavailable', async () => {
    const provider = cloudRegistry({}).forAccount({ name: 'a', spec: AWS });
    await expect(provider.accounts.check({ name: 'a', spec: AWS }, { principals: [] })).rejects.toMatchObject(
      {
        kind: 'terminal',
        reason: 'ProviderUnavailable',
        message: 'the aws provider is not available in this build of Keyless',
      },
    );
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

describe('instrumentRegistry', () => {
  it('counts each contract call by provider, operation and outcome', async () => {
    const cloud = new MemoryCloud();
    const calls: [string, string, CallOutcome][] = [];
    const registry = instrumentRegistry(memoryRegistry(cloud), {
      observe: (...call) => calls.push(call),
      audit: () => {},
    });
    const provider = registry.forAccount({ name: 'a', spec: AWS });
    expect(registry.forAccount({ name: 'a', spec: AWS })).toBe(provider);

    await provider.accounts.check({ name: 'a', spec: AWS }, { principals: [] });
    cloud.failNext('CheckAccount', new CloudError('slow down', { kind: 'throttled', reason: 'Throttling' }));
    await expect(provider.accounts.check({ name: 'a', spec: AWS }, { principals: [] })).rejects.toThrow(
      'slow down',
    );

    expect(calls).toEqual([
      ['memory', 'accounts.check', 'success'],
      ['memory', 'accounts.check', 'throttled'],
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
    await provider.identities.observe(request);
    await provider.identities.create(request);
    cloud.failNext('DeleteIdentity', new CloudError('denied', { kind: 'terminal', reason: 'AccessDenied' }));
    await expect(provider.identities.delete(request)).rejects.toThrow('denied');

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

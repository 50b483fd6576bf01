import { isCloudError } from '../../src/providers/cloud-error.js';
import type { ProviderRegistry } from '../../src/providers/provider.js';
import type { ObjectRecord, RetryRecord } from './protocol.js';

type Kind = 'WorkloadIdentity' | 'IdentityBinding';
type Access = 'read' | 'write';

/**
 * Wraps a provider registry to count every identity and grant call per owning object: which object
 * was re-observed when, and how often each one was throttled. Off unless `enabled`.
 */
export class CallTracker {
  enabled = false;
  objects = new Map<string, ObjectRecord>();
  readTimes: number[] = [];

  reset(): void {
    this.objects = new Map();
    this.readTimes = [];
  }

  wrap(registry: ProviderRegistry): ProviderRegistry {
    return {
      forAccount: (account) => {
        const provider = registry.forAccount(account);
        const { identities, grants } = provider;
        const track = <R extends { owner: { namespace: string; name: string } }, T>(
          kind: Kind,
          access: Access,
          call: (request: R) => Promise<T>,
        ) => {
          return async (request: R): Promise<T> => {
            if (!this.enabled) return call(request);
            const key = `${kind} ${request.owner.namespace}/${request.owner.name}`;
            const at = Date.now();
            const record = this.record(key, at);
            record[access === 'read' ? 'reads' : 'writes'] += 1;
            if (access === 'read') this.readTimes.push(at);
            try {
              return await call(request);
            } catch (err) {
              if (isCloudError(err) && err.kind === 'throttled') record.throttled += 1;
              throw err;
            }
          };
        };
        return {
          ...provider,
          identities: {
            observe: track('WorkloadIdentity', 'read', (r) => identities.observe(r)),
            create: track('WorkloadIdentity', 'write', (r) => identities.create(r)),
            update: (r, observed) =>
              track('WorkloadIdentity', 'write', (x: typeof r) => identities.update(x, observed))(r),
            delete: track('WorkloadIdentity', 'write', (r) => identities.delete(r)),
          },
          grants: {
            resolve: (g, a) => grants.resolve(g, a),
            observe: track('IdentityBinding', 'read', (r) => grants.observe(r)),
            create: track('IdentityBinding', 'write', (r) => grants.create(r)),
            update: (r, observed) =>
              track('IdentityBinding', 'write', (x: typeof r) => grants.update(x, observed))(r),
            delete: track('IdentityBinding', 'write', (r) => grants.delete(r)),
          },
        };
      },
    };
  }

  private record(key: string, at: number): ObjectRecord {
    let record = this.objects.get(key);
    if (!record) {
      record = { reads: 0, writes: 0, throttled: 0, firstCallAt: at, lastCallAt: at };
      this.objects.set(key, record);
    }
    record.lastCallAt = at;
    return record;
  }
}

/**
 * A pino destination that keeps the controllers' "reconcile failed; retrying" lines: per object,
 * when each failure happened and how long the work queue made it wait.
 */
export class RetryLog {
  retries = new Map<string, RetryRecord[]>();
  terminal = 0;

  reset(): void {
    this.retries = new Map();
    this.terminal = 0;
  }

  write(line: string): void {
    if (line.includes('not retrying')) this.terminal += 1;
    if (!line.includes('reconcile failed; retrying')) return;
    const entry = JSON.parse(line) as { time: number; controller: string; key: string; retryInMs: number };
    const key = `${entry.controller} ${entry.key}`;
    const list = this.retries.get(key) ?? [];
    list.push({ at: entry.time, retryInMs: entry.retryInMs });
    this.retries.set(key, list);
  }
}

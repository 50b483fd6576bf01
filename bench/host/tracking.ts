import type { ProviderRegistry } from '../../src/providers/provider.js';
import { type Around, wrapCalls, wrapEachProvider } from '../../src/providers/registry/wrap.js';
import { isClassified } from '../../src/runtime/errors.js';
import type { ObjectRecord } from './protocol.js';

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
    const around: Around = async (operation, args, next) => {
      const [part, method] = operation.split('.');
      const kind: Kind | undefined =
        part === 'identities' ? 'WorkloadIdentity' : part === 'grants' ? 'IdentityBinding' : undefined;
      if (!this.enabled || !kind) return next();
      const request = args[1] as { owner: { namespace: string; name: string } };
      const access: Access = method === 'observe' ? 'read' : 'write';
      const at = Date.now();
      const record = this.record(`${kind} ${request.owner.namespace}/${request.owner.name}`, at);
      record[access === 'read' ? 'reads' : 'writes'] += 1;
      if (access === 'read') this.readTimes.push(at);
      try {
        return await next();
      } catch (err) {
        if (isClassified(err) && err.kind === 'throttled') record.throttled += 1;
        throw err;
      }
    };
    // Each provider wrapped once, as the operator's own wrappers do: a wrapper built per call
    // would be garbage the operator's process makes in the benchmark alone, and would hand the
    // operator's wrappers a new provider every time, so that they too wrapped it again per call.
    return wrapEachProvider(registry, (provider) => wrapCalls(provider, around));
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

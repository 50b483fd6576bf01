import { Reason } from '../../api/reasons.js';
import { type Clock, realClock } from '../../runtime/clock.js';
import { ClassifiedError } from '../../runtime/errors.js';

export interface MemoryIdentity {
  name: string;
  accountName: string;
  tags: Record<string, string>;
  trust: string[];
  maxSessionSeconds: number;
  principalId: string;
}

export interface MemoryGrantSet {
  identityName: string;
  /** resource -> sorted permissions */
  permissions: Record<string, string[]>;
  expiresAt: string | undefined;
}

/** What the in-memory cloud has seen of an identity's use: its last sign-in and, per service, last use. */
export interface MemoryUsage {
  lastUsed?: Date;
  where?: string;
  services: Map<string, Date>;
}

export const MEMORY_OPERATIONS = {
  CheckAccount: 'read',
  GetIdentity: 'read',
  CreateIdentity: 'write',
  UpdateIdentity: 'write',
  DeleteIdentity: 'write',
  GetGrants: 'read',
  PutGrants: 'write',
  DeleteGrants: 'write',
  GetUsage: 'read',
} as const;
export type MemoryOperation = keyof typeof MEMORY_OPERATIONS;

/** Decides whether one call fails; returning undefined lets it through. */
export type FaultInjector = (operation: MemoryOperation, target: string) => ClassifiedError | undefined;

export interface RateLimit {
  qps: number;
  burst: number;
}

export interface MemoryCloudOptions {
  clock?: Clock;
  /** Added to every call, through the clock. */
  latencyMs?: number;
  /** Like a real cloud's quotas: over them, calls fail with a throttling error and a retry-after. */
  rateLimits?: { read?: RateLimit; write?: RateLimit };
}

/** A cloud-side token bucket that refuses rather than waits, as a throttling API does. */
class Quota {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly limit: RateLimit,
    now: number,
  ) {
    this.tokens = limit.burst;
    this.refilledAt = now;
  }

  /** 0 when the call may go ahead, else how long until it could. */
  take(now: number): number {
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.limit.qps);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.limit.qps) * 1000);
  }
}

/**
 * A deterministic cloud held in memory: what the in-memory provider talks to. Tests and benchmarks
 * inspect it, edit it out of band, inject failures and count calls by operation.
 */
export class MemoryCloud {
  readonly identities = new Map<string, MemoryIdentity>();
  readonly grantSets = new Map<string, MemoryGrantSet>();
  /** By identity name: what the cloud has recorded of its use (see `use`). */
  readonly usage = new Map<string, MemoryUsage>();
  readonly calls = new Map<MemoryOperation, number>();
  private readonly clock: Clock;
  private latencyMs: number;
  private faults: FaultInjector[] = [];
  private nextPrincipal = 1;
  private readonly quotas: Partial<Record<'read' | 'write', Quota>> = {};
  /** Calls refused by the rate limits, by operation. */
  readonly throttled = new Map<MemoryOperation, number>();
  /**
   * The latency waits as they ran: how many, and their total in ms. A wait ends later than asked
   * when the process is slow to run its timer (a busy event loop, no free core).
   */
  readonly waited = { count: 0, ms: 0 };

  constructor(options: MemoryCloudOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.latencyMs = options.latencyMs ?? 0;
    for (const kind of ['read', 'write'] as const) {
      const limit = options.rateLimits?.[kind];
      if (limit) this.quotas[kind] = new Quota(limit, this.clock.now());
    }
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  injectFault(fault: FaultInjector): () => void {
    this.faults.push(fault);
    return () => {
      this.faults = this.faults.filter((f) => f !== fault);
    };
  }

  /** Fails the next `times` calls of one operation with `error`. */
  failNext(operation: MemoryOperation, error: ClassifiedError, times = 1): void {
    let left = times;
    const remove = this.injectFault((op) => {
      if (op !== operation || left <= 0) return undefined;
      left -= 1;
      if (left === 0) remove();
      return error;
    });
  }

  count(kind?: 'read' | 'write'): number {
    let total = 0;
    for (const [op, n] of this.calls) if (kind === undefined || MEMORY_OPERATIONS[op] === kind) total += n;
    return total;
  }

  /** The mean of the latency waits since the last reset (ms); undefined before the first. */
  meanWaitMs(): number | undefined {
    return this.waited.count ? this.waited.ms / this.waited.count : undefined;
  }

  resetCounts(): void {
    this.calls.clear();
    this.throttled.clear();
    this.waited.count = 0;
    this.waited.ms = 0;
  }

  /** Records that the identity signed in at `at` (now by default) and, when named, used `service`. */
  use(identityName: string, options: { service?: string; where?: string; at?: Date } = {}): void {
    const at = options.at ?? new Date(this.clock.now());
    const usage = this.usage.get(identityName) ?? { services: new Map<string, Date>() };
    usage.lastUsed = at;
    if (options.where !== undefined) usage.where = options.where;
    if (options.service !== undefined) usage.services.set(options.service, at);
    this.usage.set(identityName, usage);
  }

  newPrincipalId(): string {
    const id = this.nextPrincipal++;
    return `00000000-0000-4000-8000-${id.toString(16).padStart(12, '0')}`;
  }

  /** Runs one cloud call: counted, delayed by the latency, failed by any matching fault. */
  async call<T>(operation: MemoryOperation, target: string, body: () => T, signal?: AbortSignal): Promise<T> {
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
    if (this.latencyMs > 0) {
      const from = this.clock.now();
      await this.clock.sleep(this.latencyMs, signal);
      this.waited.count += 1;
      this.waited.ms += this.clock.now() - from;
    }
    const wait = this.quotas[MEMORY_OPERATIONS[operation]]?.take(this.clock.now()) ?? 0;
    if (wait > 0) {
      this.throttled.set(operation, (this.throttled.get(operation) ?? 0) + 1);
      throw new ClassifiedError(`${operation} ${target}: rate exceeded`, {
        kind: 'throttled',
        reason: Reason.Throttled,
        retryAfterMs: wait,
      });
    }
    for (const fault of this.faults) {
      const error = fault(operation, target);
      if (error) throw error;
    }
    return body();
  }
}

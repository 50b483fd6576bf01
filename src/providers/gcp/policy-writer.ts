import { Reason } from '../../api/reasons.js';
import { type Clock, realClock } from '../../runtime/clock.js';
import type { Context } from '../../runtime/context.js';
import { ClassifiedError } from '../../runtime/errors.js';
import type { GcpClient } from './client.js';
import type { IamPolicy } from './iam-policy.js';

/** Edits a policy in place; returns whether it changed anything. Must be pure apart from that. */
export type PolicyMutation = (policy: IamPolicy) => boolean;

interface Waiter {
  ctx: Context;
  mutate: PolicyMutation;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface PolicyWriterOptions {
  /** Edits to one policy that arrive within this window share one read-modify-write. */
  windowMs?: number;
  /** Read-modify-write attempts when the etag went stale in between (409 ABORTED). */
  maxAttempts?: number;
  clock?: Clock;
  random?: () => number;
}

/**
 * Read-modify-write of shared IAM policies, never clobbering: each write carries the etag it read,
 * a stale etag is retried with jitter on a fresh read, and only the callers' own edits are applied.
 * Edits to the same policy within a short window are coalesced into one write, so fifty bindings
 * in one project make one setIamPolicy instead of fighting over the etag.
 *
 * A caller whose context aborts before its edit is sent stops waiting at once; one whose edit is in
 * a read-modify-write under way waits for it to end, and that write is aborted once every caller in
 * it has been.
 */
export class PolicyWriter {
  private readonly pending = new Map<string, Waiter[]>();
  private readonly flushing = new Set<string>();
  private readonly windowMs: number;
  private readonly maxAttempts: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  /** setIamPolicy calls made, for tests and benchmarks. */
  writes = 0;

  constructor(
    private readonly client: GcpClient,
    options: PolicyWriterOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 100;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
  }

  update(ctx: Context, resource: string, mutate: PolicyMutation): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      ctx.signal.throwIfAborted();
      // Still waiting for its window: it leaves the batch. Already in a write: it waits for that
      // write to end (aborted too once every caller in it is), so no call outlives its reconcile.
      const onAbort = (): void => {
        const batch = this.pending.get(resource);
        const index = batch?.indexOf(waiter) ?? -1;
        if (!batch || index === -1) return;
        batch.splice(index, 1);
        reject(ctx.signal.reason);
      };
      const waiter: Waiter = {
        ctx,
        mutate,
        resolve: () => {
          ctx.signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err) => {
          ctx.signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      const batch = this.pending.get(resource);
      if (batch) {
        batch.push(waiter);
        return;
      }
      this.pending.set(resource, [waiter]);
      if (!this.flushing.has(resource)) this.clock.setTimeout(() => this.startFlush(resource), this.windowMs);
    });
  }

  /**
   * One read-modify-write per policy at a time: edits that arrive while one is in flight wait and
   * go together in the next, instead of racing it for the etag.
   */
  private startFlush(resource: string): void {
    const waiters = this.pending.get(resource) ?? [];
    this.pending.delete(resource);
    if (waiters.length === 0) return;
    this.flushing.add(resource);
    this.flush(resource, waiters).then(
      () => this.settle(resource, waiters, undefined),
      (err: unknown) => this.settle(resource, waiters, err ?? new Error('policy write failed')),
    );
  }

  private settle(resource: string, waiters: Waiter[], err: unknown): void {
    this.flushing.delete(resource);
    for (const w of waiters) {
      if (err === undefined) w.resolve();
      else w.reject(err);
    }
    if (this.pending.has(resource)) this.startFlush(resource);
  }

  private async flush(resource: string, waiters: Waiter[]): Promise<void> {
    const ctx = sharedContext(waiters.map((w) => w.ctx));
    for (let attempt = 1; ; attempt++) {
      const policy = await this.client.getPolicy(ctx, resource);
      let changed = false;
      for (const waiter of waiters) changed = waiter.mutate(policy) || changed;
      if (!changed) return;
      try {
        this.writes += 1;
        await this.client.setPolicy(ctx, resource, policy);
        return;
      } catch (err) {
        const stale = err instanceof ClassifiedError && err.reason === Reason.Conflict;
        if (!stale || attempt >= this.maxAttempts) throw err;
        await this.clock.sleep(Math.round((25 + this.random() * 100) * attempt), ctx.signal);
      }
    }
  }
}

/** The context of a write shared by several callers: it stops once every one of them has stopped. */
function sharedContext(contexts: Context[]): Context {
  const [first] = contexts;
  if (!first) throw new Error('a policy write needs at least one caller');
  const all = new AbortController();
  const check = (): void => {
    if (contexts.every((c) => c.signal.aborted)) all.abort(first.signal.reason);
  };
  for (const c of contexts) c.signal.addEventListener('abort', check, { once: true });
  check();
  return {
    signal: all.signal,
    deadline: Math.max(...contexts.map((c) => c.deadline)),
    logger: first.logger,
    clock: first.clock,
  };
}

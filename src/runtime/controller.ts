import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { type Clock, realClock } from './clock.js';
import { type Context, interruptedByShutdown, shuttingDown, withDeadline } from './context.js';
import { type ControllerMetrics, noControllerMetrics, type ReconcileOutcome } from './controller-metrics.js';
import { asError, classificationOf } from './errors.js';
import { Gate } from './gate.js';
import type { RateLimiter } from './rate-limiter.js';
import { WorkQueue } from './workqueue.js';

export interface ReconcileResult {
  /** Reconcile the key again after this many ms (e.g. to re-observe the cloud for drift). */
  requeueAfter?: number;
}

/** One reconcile's context; its logger carries `controller`, `key` and `reconcileId`. */
export interface ReconcileContext extends Context {
  readonly reconcileId: string;
}

/**
 * Converges the object named by `key` (`namespace/name`). Level-based: it reads current state and
 * never learns which event woke it. A failure classified terminal (see errors.ts) is not retried
 * until the object changes, or until its `recheckAfterMs`; any other error is retried with backoff
 * (or after its `retryAfterMs`, if longer). The context's signal aborts at the deadline and on
 * shutdown, and must reach every call the reconcile makes.
 */
export type Reconcile = (key: string, context: ReconcileContext) => Promise<ReconcileResult>;

export interface ControllerOptions {
  name: string;
  reconcile: Reconcile;
  logger: Logger;
  metrics?: ControllerMetrics;
  /** Reconciles run in parallel (never two for the same key). */
  workers?: number;
  /**
   * Cloud calls the reconciles may have in flight at once (through their context's `cloudCalls`);
   * at most `workers`. Unset: as many as the workers.
   */
  cloudConcurrency?: number;
  /** Each reconcile's deadline. */
  reconcileTimeoutMs?: number;
  clock?: Clock;
  rateLimiter?: RateLimiter;
  /** Injectable for tests. */
  newReconcileId?: () => string;
}

const newShortId = (): string => randomBytes(4).toString('hex');
const DEFAULT_RECONCILE_TIMEOUT_MS = 60_000;
/** The reason reported for a failure that no classifier understood (a bug, or an unforeseen error). */
export const UNCLASSIFIED_REASON = 'Unexpected';

/**
 * Runs `reconcile` for queued keys on N workers. A Controller is single-use: after `stop` it stays
 * stopped (create a new one, e.g. on regaining leadership).
 */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly reconcile: Reconcile;
  private readonly logger: Logger;
  private readonly metrics: ControllerMetrics;
  private readonly workerCount: number;
  private readonly cloudCalls: Gate | undefined;
  private readonly clock: Clock;
  private readonly newReconcileId: () => string;
  private readonly reconcileTimeoutMs: number;
  /** Aborted by `stop`: every reconcile's context hangs off it. */
  private readonly stopping = new AbortController();
  private workers: Promise<void>[] | undefined;

  constructor(options: ControllerOptions) {
    const workers = options.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new Error(`controller ${options.name}: workers must be a positive integer, got ${workers}`);
    }
    this.name = options.name;
    this.reconcile = options.reconcile;
    this.logger = options.logger.child({ controller: options.name });
    this.metrics = options.metrics ?? noControllerMetrics;
    this.workerCount = workers;
    const cloudConcurrency = options.cloudConcurrency;
    if (
      cloudConcurrency !== undefined &&
      !(Number.isInteger(cloudConcurrency) && cloudConcurrency >= 1 && cloudConcurrency <= workers)
    ) {
      throw new Error(
        `controller ${options.name}: cloudConcurrency must be an integer from 1 to workers (${workers}), got ${cloudConcurrency}`,
      );
    }
    this.cloudCalls =
      cloudConcurrency === undefined
        ? undefined
        : new Gate(cloudConcurrency, (waiting) => this.metrics.cloudCallsWaiting(this.name, waiting));
    // The series is there from the start, at 0, as the work queue's depth is.
    if (this.cloudCalls) this.metrics.cloudCallsWaiting(this.name, 0);
    this.clock = options.clock ?? realClock;
    this.newReconcileId = options.newReconcileId ?? newShortId;
    this.reconcileTimeoutMs = options.reconcileTimeoutMs ?? DEFAULT_RECONCILE_TIMEOUT_MS;
    this.queue = new WorkQueue({
      clock: this.clock,
      ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
      onDepthChange: (depth) => this.metrics.queueDepth(this.name, depth),
    });
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  start(): void {
    if (this.queue.isShuttingDown()) throw new Error(`controller ${this.name} was stopped; create a new one`);
    if (this.workers) throw new Error(`controller ${this.name} already started`);
    this.logger.info(
      { workers: this.workerCount, cloudConcurrency: this.cloudCalls?.limit ?? this.workerCount },
      'controller starting',
    );
    this.workers = Array.from({ length: this.workerCount }, () => this.runWorker());
  }

  /**
   * Takes no new work, aborts every in-flight reconcile's context, and resolves once each of them
   * has settled (so no call they started is still running).
   */
  async stop(): Promise<void> {
    this.queue.shutDown();
    this.stopping.abort(shuttingDown());
    // Each worker settles its current reconcile, then sees the shut-down queue and returns.
    await Promise.all(this.workers ?? []);
    this.logger.info('controller stopped');
  }

  private async runWorker(): Promise<void> {
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      try {
        await this.reconcileKey(key);
      } catch (err) {
        // reconcileKey handles every reconcile failure; this is a bug in the bookkeeping itself.
        this.logger.error({ err, key }, 'controller worker failed to process a key');
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async reconcileKey(key: string): Promise<void> {
    const reconcileId = this.newReconcileId();
    const logger = this.logger.child({ reconcileId, key });
    const startedAt = this.clock.now();
    const scope = withDeadline(this.stopping.signal, this.reconcileTimeoutMs, logger, this.clock);
    let outcome: ReconcileOutcome;
    let reason: string | undefined;
    try {
      // A synchronous throw from `reconcile` is caught here exactly like a rejection.
      const result = await this.reconcile(key, {
        ...scope.context,
        reconcileId,
        ...(this.cloudCalls ? { cloudCalls: this.cloudCalls } : {}),
      });
      this.queue.forget(key);
      const requeueAfter = result?.requeueAfter;
      if (requeueAfter !== undefined && requeueAfter > 0) {
        this.queue.addAfter(key, requeueAfter);
        outcome = 'requeue';
        logger.debug({ requeueAfterMs: requeueAfter }, 'reconciled; requeued');
      } else {
        outcome = 'success';
        logger.debug('reconciled');
      }
    } catch (thrown) {
      ({ outcome, reason } = this.handleFailure(key, asError(thrown), scope.context.signal, logger));
    } finally {
      scope.end();
    }
    this.metrics.reconcileDone(this.name, outcome, (this.clock.now() - startedAt) / 1000, reason);
  }

  /**
   * Terminal: wait for a change (or the recheck); throttled: the server's delay; else backoff.
   * Returns the outcome and its reason: the classification's, or `Unexpected` for an error nobody
   * classified.
   */
  private handleFailure(
    key: string,
    err: Error,
    signal: AbortSignal,
    logger: Logger,
  ): { outcome: ReconcileOutcome; reason: string } {
    const classified = classificationOf(err);
    const reason = classified?.reason;
    if (interruptedByShutdown(signal)) {
      logger.info({ reason: reason ?? 'ShuttingDown' }, 'reconcile interrupted by shutdown');
      return { outcome: 'error', reason: reason ?? 'ShuttingDown' };
    }
    if (classified?.kind === 'terminal') {
      this.queue.forget(key);
      const recheckAfterMs = classified.recheckAfterMs;
      if (recheckAfterMs !== undefined) this.queue.addAfter(key, recheckAfterMs);
      logger.info(
        { reason, recheckAfterMs },
        recheckAfterMs === undefined
          ? 'reconcile failed; not retrying until the object changes'
          : 'reconcile failed; not retrying until it is checked again later',
      );
      return { outcome: 'terminal', reason: classified.reason };
    }
    // Throttled: the server's wish; retryable: the soonest a retry can find things changed.
    const retryAfterMs = classified?.retryAfterMs;
    const delayMs = this.queue.addRateLimited(key, retryAfterMs ?? 0);
    const fields = { reason, retryInMs: delayMs, retryAfterMs, retries: this.queue.retries(key) };
    if (classified) logger.info(fields, 'reconcile failed; retrying');
    else logger.error({ err, ...fields }, 'reconcile failed unexpectedly; retrying');
    return { outcome: 'error', reason: reason ?? UNCLASSIFIED_REASON };
  }
}

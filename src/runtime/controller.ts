import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { type Clock, realClock } from './clock.js';
import { type ControllerMetrics, noControllerMetrics, type ReconcileOutcome } from './controller-metrics.js';
import { asError, retryAfterMsOf, terminalErrorIn } from './errors.js';
import type { RateLimiter } from './rate-limiter.js';
import { WorkQueue } from './workqueue.js';

export interface ReconcileResult {
  /** Reconcile the key again after this many ms (e.g. to re-observe the cloud for drift). */
  requeueAfter?: number;
}

export interface ReconcileContext {
  /** Carries `controller`, `key` and `reconcileId`. */
  logger: Logger;
  reconcileId: string;
}

/**
 * Converges the object named by `key` (`namespace/name`). Level-based: it reads current state and
 * never learns which event woke it. Throw a TerminalError for failures retrying cannot fix; any
 * other error is retried with backoff (or after its `retryAfterMs`, if longer).
 */
export type Reconcile = (key: string, context: ReconcileContext) => Promise<ReconcileResult>;

export interface ControllerOptions {
  name: string;
  reconcile: Reconcile;
  logger: Logger;
  metrics?: ControllerMetrics;
  /** Reconciles run in parallel (never two for the same key). */
  workers?: number;
  clock?: Clock;
  rateLimiter?: RateLimiter;
  /** Injectable for tests. */
  newReconcileId?: () => string;
}

const newShortId = (): string => randomBytes(4).toString('hex');

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
  private readonly clock: Clock;
  private readonly newReconcileId: () => string;
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
    this.clock = options.clock ?? realClock;
    this.newReconcileId = options.newReconcileId ?? newShortId;
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
    this.logger.info({ workers: this.workerCount }, 'controller starting');
    this.workers = Array.from({ length: this.workerCount }, () => this.runWorker());
  }

  /** Takes no new work and resolves once every in-flight reconcile has finished. */
  async stop(): Promise<void> {
    this.queue.shutDown();
    // Each worker finishes its current reconcile, then sees the shut-down queue and returns.
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
    let outcome: ReconcileOutcome;
    try {
      // A synchronous throw from `reconcile` is caught here exactly like a rejection.
      const result = await this.reconcile(key, { logger, reconcileId });
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
      const err = asError(thrown);
      const terminal = terminalErrorIn(err);
      if (terminal) {
        this.queue.forget(key);
        outcome = 'terminal';
        logger.error(
          { err, reason: terminal.reason },
          'reconcile failed; not retrying until the object changes',
        );
      } else {
        const retryAfterMs = retryAfterMsOf(err);
        const delayMs = this.queue.addRateLimited(key, retryAfterMs ?? 0);
        outcome = 'error';
        logger.error(
          { err, retryInMs: delayMs, retryAfterMs, retries: this.queue.retries(key) },
          'reconcile failed; retrying',
        );
      }
    }
    this.metrics.reconcileDone(this.name, outcome, (this.clock.now() - startedAt) / 1000);
  }
}

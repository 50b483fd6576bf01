import type { Logger } from 'pino';
import { exponentialDelay, jitter } from './backoff.js';
import { type Clock, realClock } from './clock.js';
import { type KubeObject, keyOf } from './kube-object.js';
import type { ListResult, ListWatchSource, WatchEvent, WatchHandle } from './list-watch-source.js';
import { isResourceExpired } from './resource-expired.js';
import { type Indexer, type ReadonlyStore, Store, sameResourceVersion } from './store.js';

/** Called synchronously, in event order. A handler should only enqueue work, never await it. */
export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(old: T, obj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions<T extends KubeObject> {
  /** Names the informer in logs (e.g. the resource plural). */
  name: string;
  source: ListWatchSource<T>;
  logger: Logger;
  clock?: Clock;
  /** For jitter; injectable for deterministic tests. */
  random?: () => number;
  indexers?: Record<string, Indexer<T>>;
  /** Relist when the watch delivers no event or bookmark for this long. */
  stallTimeoutMs?: number;
  /** Relist this often (jittered) even when the watch looks healthy. */
  relistIntervalMs?: number;
  /** Delay before restarting a failed watch or list: doubles per consecutive failure. */
  restartBackoff?: { initialMs?: number; maxMs?: number };
}

type RestartMode = 'watch' | 'relist';

interface RestartPending {
  kind: 'restart-pending';
  mode: RestartMode;
  cancel: () => void;
}

type Phase = { kind: 'stopped' } | { kind: 'listing' } | { kind: 'watching' } | RestartPending;

const RELIST_JITTER_SPREAD = 0.2;

/**
 * Keeps a cache of one collection in step with the API server (list, then watch from the list's
 * resourceVersion) and tells handlers what changed. Hardened against client-node's known watch
 * failures: any failure restarts through one guarded, jittered backoff; an expired resourceVersion
 * (HTTP 410 or an in-stream ERROR) relists; a silent watch is detected by a watchdog; and a
 * periodic relist repairs anything missed.
 */
export class Informer<T extends KubeObject> {
  private readonly name: string;
  private readonly source: ListWatchSource<T>;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly stallTimeoutMs: number;
  private readonly relistIntervalMs: number;
  private readonly restartInitialMs: number;
  private readonly restartMaxMs: number;
  private readonly cache: Store<T>;
  private handlers: InformerHandlers<T>[] = [];
  private phase: Phase = { kind: 'stopped' };
  /**
   * Bumped whenever the current list or watch is abandoned: callbacks of a list or watch that
   * started under an older epoch are ignored, so a dying watch can never act twice.
   */
  private epoch = 0;
  private watchHandle: WatchHandle | undefined;
  private listAbort: AbortController | undefined;
  private lastResourceVersion = '';
  private consecutiveFailures = 0;
  private lastWatchActivityAt = 0;
  private cancelWatchdog: (() => void) | undefined;
  private cancelPeriodicRelist: (() => void) | undefined;
  private synced = false;
  private syncWaiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];

  constructor(options: InformerOptions<T>) {
    this.name = options.name;
    this.source = options.source;
    this.logger = options.logger.child({ informer: options.name });
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 5 * 60_000;
    this.relistIntervalMs = options.relistIntervalMs ?? 30 * 60_000;
    this.restartInitialMs = options.restartBackoff?.initialMs ?? 1_000;
    this.restartMaxMs = options.restartBackoff?.maxMs ?? 30_000;
    this.cache = new Store<T>({ indexers: options.indexers ?? {} });
  }

  /** The cache. Objects in it are shared: treat them as read-only. */
  get store(): ReadonlyStore<T> {
    return this.cache;
  }

  /**
   * Registers handlers and replays every cached object to them as an add, so handlers registered
   * late miss nothing. Returns a function that unregisters them.
   */
  addHandlers(handlers: InformerHandlers<T>): () => void {
    this.handlers = [...this.handlers, handlers];
    for (const obj of this.cache.list()) this.notify('onAdd', () => handlers.onAdd?.(obj));
    return () => {
      this.handlers = this.handlers.filter((registered) => registered !== handlers);
    };
  }

  start(): void {
    if (this.phase.kind !== 'stopped') return;
    this.logger.debug('informer starting');
    this.runDetached(this.listThenWatch());
  }

  /** Aborts the watch (or list) and cancels every timer. */
  stop(): void {
    if (this.phase.kind === 'stopped') return;
    this.abandonCurrentAttempt();
    if (this.phase.kind === 'restart-pending') this.phase.cancel();
    this.cancelPeriodicRelist?.();
    this.cancelPeriodicRelist = undefined;
    this.phase = { kind: 'stopped' };
    for (const waiter of this.syncWaiters.splice(0)) {
      waiter.reject(new Error(`informer ${this.name} stopped before it synced`));
    }
    this.logger.debug('informer stopped');
  }

  /** True once the first list has been applied to the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        this.syncWaiters = this.syncWaiters.filter((candidate) => candidate !== waiter);
        reject(signal?.reason);
      };
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      this.syncWaiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async listThenWatch(): Promise<void> {
    const epoch = this.beginAttempt({ kind: 'listing' });
    const abort = new AbortController();
    this.listAbort = abort;
    let result: ListResult<T>;
    try {
      result = await this.source.list(abort.signal);
    } catch (err) {
      if (epoch === this.epoch) this.scheduleRestart('relist', 'list failed', err);
      return;
    } finally {
      if (this.listAbort === abort) this.listAbort = undefined;
    }
    if (epoch !== this.epoch) return;
    try {
      this.applyList(result);
    } catch (err) {
      this.scheduleRestart('relist', 'applying the list failed', err);
      return;
    }
    this.schedulePeriodicRelist();
    await this.watchFromLastResourceVersion();
  }

  private async watchFromLastResourceVersion(): Promise<void> {
    const epoch = this.beginAttempt({ kind: 'watching' });
    this.lastWatchActivityAt = this.clock.now();
    this.armWatchdog(epoch, this.stallTimeoutMs);
    let handle: WatchHandle;
    try {
      handle = await this.source.watch(
        this.lastResourceVersion,
        (...event) => {
          if (epoch !== this.epoch) return;
          try {
            this.handleWatchEvent(event);
          } catch (err) {
            // Never let it escape into the source: client-node swallows callback errors silently.
            this.scheduleRestart('relist', 'applying a watch event failed', err);
          }
        },
        (err) => {
          if (epoch === this.epoch) this.handleWatchEnd(err);
        },
      );
    } catch (err) {
      if (epoch === this.epoch) this.handleWatchEnd(err ?? new Error('watch failed to start'));
      return;
    }
    if (epoch !== this.epoch) {
      // The watch ended (or the informer stopped) before the handle arrived.
      handle.abort();
      return;
    }
    this.watchHandle = handle;
  }

  private handleWatchEvent(event: WatchEvent<T>): void {
    this.lastWatchActivityAt = this.clock.now();
    if (event[0] === 'ERROR') {
      const status = event[1];
      if (isResourceExpired(status)) {
        this.scheduleRestart('relist', 'resourceVersion expired (in-stream ERROR 410)', status);
      } else {
        this.scheduleRestart('watch', 'watch ERROR event', status);
      }
      return;
    }
    const [type, obj] = event;
    // The stream works: a later failure starts again from the smallest backoff.
    this.consecutiveFailures = 0;
    const resourceVersion = obj?.metadata?.resourceVersion;
    if (resourceVersion) this.lastResourceVersion = resourceVersion;
    if (type === 'BOOKMARK') return;
    if (typeof obj?.metadata?.name !== 'string') {
      this.logger.warn({ type }, 'watch event without metadata.name ignored');
      return;
    }
    const key = keyOf(obj);
    if (type === 'DELETED') {
      if (this.cache.delete(key)) this.notifyAll('onDelete', (handlers) => handlers.onDelete?.(obj));
      return;
    }
    const old = this.cache.get(key);
    if (old && sameResourceVersion(old, obj)) return;
    this.cache.upsert(obj);
    if (old) {
      this.notifyAll('onUpdate', (handlers) => handlers.onUpdate?.(old, obj));
    } else {
      this.notifyAll('onAdd', (handlers) => handlers.onAdd?.(obj));
    }
  }

  private handleWatchEnd(err: unknown): void {
    if (err === undefined || err === null) {
      this.scheduleRestart('watch', 'watch ended', undefined);
    } else if (isResourceExpired(err)) {
      this.scheduleRestart('relist', 'resourceVersion expired (HTTP 410)', err);
    } else {
      this.scheduleRestart('watch', 'watch failed', err);
    }
  }

  private applyList(result: ListResult<T>): void {
    const items = result.items.filter((obj) => typeof obj?.metadata?.name === 'string');
    if (items.length < result.items.length) {
      this.logger.warn(
        { ignored: result.items.length - items.length },
        'listed objects without metadata.name ignored',
      );
    }
    const diff = this.cache.replace(items);
    this.lastResourceVersion = result.resourceVersion;
    for (const obj of diff.added) this.notifyAll('onAdd', (handlers) => handlers.onAdd?.(obj));
    for (const { old, obj } of diff.updated) {
      this.notifyAll('onUpdate', (handlers) => handlers.onUpdate?.(old, obj));
    }
    for (const obj of diff.deleted) this.notifyAll('onDelete', (handlers) => handlers.onDelete?.(obj));
    this.logger.debug(
      {
        objects: this.cache.size(),
        added: diff.added.length,
        updated: diff.updated.length,
        deleted: diff.deleted.length,
      },
      'informer listed',
    );
    if (!this.synced) {
      this.synced = true;
      for (const waiter of this.syncWaiters.splice(0)) waiter.resolve();
    }
  }

  /**
   * The one restart guard: at most one restart is ever pending, and its delay grows with each
   * consecutive failure, so a flapping connection cannot turn into a reconnect storm.
   */
  private scheduleRestart(mode: RestartMode, reason: string, err: unknown): void {
    if (this.phase.kind === 'stopped') return;
    if (this.phase.kind === 'restart-pending') {
      if (mode === 'relist') this.phase.mode = 'relist';
      return;
    }
    this.abandonCurrentAttempt();
    const attempt = this.consecutiveFailures++;
    const delayMs = Math.round(
      jitter(exponentialDelay(attempt, this.restartInitialMs, this.restartMaxMs), this.random),
    );
    const level = err === undefined ? 'info' : 'warn';
    this.logger[level]({ err, reason, mode, delayMs, attempt: attempt + 1 }, 'informer restarting');
    const phase: RestartPending = {
      kind: 'restart-pending',
      mode,
      cancel: this.clock.setTimeout(() => {
        if (this.phase !== phase) return;
        this.runDetached(
          phase.mode === 'relist' ? this.listThenWatch() : this.watchFromLastResourceVersion(),
        );
      }, delayMs),
    };
    this.phase = phase;
  }

  /** A relist that is not a failure (periodic, or after a stall): immediate, unless one is under way. */
  private relistNow(reason: string): void {
    switch (this.phase.kind) {
      case 'stopped':
      case 'listing':
        return;
      case 'restart-pending':
        this.phase.mode = 'relist';
        return;
      case 'watching':
        this.logger.info({ reason }, 'informer relisting');
        this.runDetached(this.listThenWatch());
    }
  }

  private beginAttempt(phase: { kind: 'listing' } | { kind: 'watching' }): number {
    this.abandonCurrentAttempt();
    this.phase = phase;
    return this.epoch;
  }

  private abandonCurrentAttempt(): void {
    this.epoch++;
    this.cancelWatchdog?.();
    this.cancelWatchdog = undefined;
    this.listAbort?.abort(new Error(`informer ${this.name}: list abandoned`));
    this.listAbort = undefined;
    const handle = this.watchHandle;
    this.watchHandle = undefined;
    if (handle) {
      try {
        handle.abort();
      } catch (err) {
        this.logger.warn({ err }, 'aborting the watch failed');
      }
    }
  }

  /** One timer per stall window (not one per event): it re-arms itself for the remaining time. */
  private armWatchdog(epoch: number, ms: number): void {
    this.cancelWatchdog = this.clock.setTimeout(() => {
      this.cancelWatchdog = undefined;
      if (epoch !== this.epoch) return;
      const silentForMs = this.clock.now() - this.lastWatchActivityAt;
      if (silentForMs < this.stallTimeoutMs) {
        this.armWatchdog(epoch, this.stallTimeoutMs - silentForMs);
        return;
      }
      this.logger.warn({ silentForMs }, 'watch silent: no event or bookmark; aborting it and relisting');
      this.relistNow('watch stalled');
    }, ms);
  }

  private schedulePeriodicRelist(): void {
    this.cancelPeriodicRelist?.();
    const delayMs = Math.round(jitter(this.relistIntervalMs, this.random, RELIST_JITTER_SPREAD));
    this.cancelPeriodicRelist = this.clock.setTimeout(() => {
      this.cancelPeriodicRelist = undefined;
      this.relistNow('periodic relist');
    }, delayMs);
  }

  private notifyAll(event: keyof InformerHandlers<T>, call: (handlers: InformerHandlers<T>) => void): void {
    for (const handlers of this.handlers) this.notify(event, () => call(handlers));
  }

  private notify(event: keyof InformerHandlers<T>, call: () => void): void {
    try {
      call();
    } catch (err) {
      this.logger.error({ err, event }, 'informer handler threw; continuing');
    }
  }

  private runDetached(work: Promise<void>): void {
    work.catch((err: unknown) => this.logger.error({ err }, 'informer step failed unexpectedly'));
  }
}

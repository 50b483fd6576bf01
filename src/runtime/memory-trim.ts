import type { Logger } from 'pino';
import type { Clock } from './clock.js';

/** V8's gc(), as --expose-gc exposes it. */
export type ExposedGc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** The gc() the operator's Node options expose (node-options.ts), if this process was started with them. */
export function exposedGc(): ExposedGc | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as ExposedGc) : undefined;
}

export interface MemoryTrimmerOptions {
  /** Without it (the process was not started with --expose-gc) the trimmer does nothing. */
  gc: ExposedGc | undefined;
  /**
   * Work waiting for a worker now: while there is some, a burst is under way and would take the
   * pages straight back. (Reconciles in flight do not count: with objects re-observed all through
   * the resync interval, some always are.)
   */
  backlog: () => number;
  clock: Clock;
  logger: Logger;
  /** The process's resident memory and V8's committed heap (process.memoryUsage's rss and heapTotal). */
  memory?: () => { rss: number; heapTotal: number };
  checkEveryMs?: number;
  /** Pooled pages grown by this much since the last trim (or the start) are worth one. */
  growthBytes?: number;
}

/**
 * Gives the system back the memory V8 keeps after a burst of work. V8 pools the pages a garbage
 * collection frees, for reuse, and returns them only in a collection that reduces memory, which its
 * memory reducer did not start in minutes of tracing (`--trace-memory-reducer`: "high alloc,
 * foreground" every 8 s, idle or not). So after converging 10,000 + 10,000 objects the operator's
 * RSS stayed some 90 MB above its heap. One collection of gc()'s last-resort flavour returns those pages
 * (measured standalone: 254 → 123 MB of RSS, 79 ms for 68 MB of live heap, about two full
 * collections). Pooled pages are resident but outside V8's committed heap, so RSS less heapTotal
 * tells them from a heap that holds more: a trim runs when that has grown by `growthBytes` since
 * the last one and no work is waiting for a worker (once after a burst, not during it).
 */
export class MemoryTrimmer {
  private readonly memory: () => { rss: number; heapTotal: number };
  private readonly checkEveryMs: number;
  private readonly growthBytes: number;
  private baseline = 0;
  private cancel: (() => void) | undefined;

  constructor(private readonly options: MemoryTrimmerOptions) {
    this.memory = options.memory ?? (() => process.memoryUsage());
    this.checkEveryMs = options.checkEveryMs ?? 10_000;
    this.growthBytes = options.growthBytes ?? 16 * 1024 * 1024;
  }

  start(): void {
    if (!this.options.gc) {
      this.options.logger.debug('memory trimming off: gc() is not exposed (start Node with --expose-gc)');
      return;
    }
    this.baseline = outsideHeap(this.memory());
    this.schedule();
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  /** One check: trims if due. Returns whether it did. */
  check(): boolean {
    const gc = this.options.gc;
    if (!gc || this.options.backlog() > 0) return false;
    const before = this.memory();
    if (outsideHeap(before) - this.baseline < this.growthBytes) return false;
    const startedAt = this.options.clock.now();
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    const after = this.memory();
    this.baseline = outsideHeap(after);
    this.options.logger.debug(
      { rssBeforeBytes: before.rss, rssAfterBytes: after.rss, ms: this.options.clock.now() - startedAt },
      'returned pooled heap pages to the system',
    );
    return true;
  }

  private schedule(): void {
    this.cancel = this.options.clock.setTimeout(() => {
      this.check();
      this.schedule();
    }, this.checkEveryMs);
  }
}

/** Resident memory beyond V8's committed heap: pooled pages, code, native allocations. */
function outsideHeap(memory: { rss: number; heapTotal: number }): number {
  return memory.rss - memory.heapTotal;
}

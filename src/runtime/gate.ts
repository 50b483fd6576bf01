/**
 * At most `limit` calls run at once; the others wait their turn in arrival order. A waiter whose
 * signal aborts leaves the line and rejects with the signal's reason, so a reconcile's deadline or
 * the operator's shutdown also ends a wait for a turn.
 */
export class Gate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  /** `onQueueChange` is told how many calls wait each time that number changes. */
  constructor(
    readonly limit: number,
    private readonly onQueueChange: (waiting: number) => void = () => {},
  ) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new Error(`a gate's limit must be a positive integer, got ${limit}`);
    }
  }

  /** Calls in progress through the gate. */
  get inFlight(): number {
    return this.running;
  }

  /** Calls waiting for a turn. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(signal: AbortSignal, call: () => Promise<T>): Promise<T> {
    await this.turn(signal);
    try {
      return await call();
    } finally {
      this.release();
    }
  }

  private turn(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const admit = (): void => {
        signal.removeEventListener('abort', leave);
        this.running++;
        resolve();
      };
      const leave = (): void => {
        const at = this.waiting.indexOf(admit);
        if (at >= 0) this.waiting.splice(at, 1);
        this.onQueueChange(this.waiting.length);
        reject(signal.reason);
      };
      this.waiting.push(admit);
      this.onQueueChange(this.waiting.length);
      signal.addEventListener('abort', leave, { once: true });
    });
  }

  private release(): void {
    this.running--;
    const next = this.waiting.shift();
    if (!next) return;
    this.onQueueChange(this.waiting.length);
    next();
  }
}

import type { Logger } from 'pino';
import type { Clock } from './clock.js';

/** The fields of a coordination.k8s.io/v1 Lease that election uses. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions: number;
  /** Opaque; an update with a stale one fails with a conflict. */
  resourceVersion?: string;
}

export interface LeaseStore {
  get(): Promise<LeaseRecord | undefined>;
  create(record: LeaseRecord): Promise<LeaseRecord>;
  /** Fails when `record.resourceVersion` is stale. */
  update(record: LeaseRecord): Promise<LeaseRecord>;
}

export interface LeaderElectionOptions {
  store: LeaseStore;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  clock: Clock;
  logger: Logger;
}

/**
 * Lease-based leader election, as client-go does it: a candidate takes the Lease once its holder
 * has not renewed it for a lease duration, measured on this process's own clock from when it last
 * saw the record change (so clock skew between nodes does not matter). A leader that cannot renew
 * within the renew deadline stops leading. `release` hands the Lease over at once on shutdown.
 */
export class LeaderElector {
  private observed: { record: LeaseRecord; at: number } | undefined;
  private leading = false;
  private stopped = false;
  private readonly abort = new AbortController();
  /** The acquire and renew loops, once started: a release must not race an attempt still in flight. */
  private acquiring: Promise<boolean> | undefined;
  private renewing: Promise<void> | undefined;

  constructor(private readonly options: LeaderElectionOptions) {}

  isLeader(): boolean {
    return this.leading;
  }

  /** Resolves once this process leads, or when stopped first (then returns false). */
  acquire(): Promise<boolean> {
    this.acquiring ??= this.acquireUntilStopped();
    return this.acquiring;
  }

  private async acquireUntilStopped(): Promise<boolean> {
    while (!this.stopped) {
      if (await this.tryAcquireOrRenew()) {
        this.leading = true;
        this.options.logger.info({ identity: this.options.identity }, 'became leader');
        return true;
      }
      await this.sleep(this.options.retryPeriodMs);
    }
    return false;
  }

  /** Renews until renewing fails for longer than the renew deadline; resolves when leadership ends. */
  holdUntilLost(): Promise<void> {
    this.renewing ??= this.renewUntilLost();
    return this.renewing;
  }

  private async renewUntilLost(): Promise<void> {
    let lastRenew = this.options.clock.now();
    while (!this.stopped && this.leading) {
      await this.sleep(this.options.retryPeriodMs);
      if (this.stopped) break;
      if (await this.tryAcquireOrRenew()) {
        lastRenew = this.options.clock.now();
      } else if (this.options.clock.now() - lastRenew >= this.options.renewDeadlineMs) {
        this.options.logger.error(
          { identity: this.options.identity },
          'could not renew the Lease in time; stopping leading',
        );
        this.leading = false;
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort(new Error('leader election stopped'));
  }

  /**
   * Gives the Lease up so another replica takes over at once instead of after a lease duration.
   * Waits for an acquire or renew still in flight first: an acquire that lands after the release
   * would hold the Lease until it expires, and a release written after a renew would carry a stale
   * resourceVersion and be refused.
   */
  async release(): Promise<void> {
    this.stop();
    await this.acquiring;
    await this.renewing;
    if (!this.leading || !this.observed) return;
    this.leading = false;
    const now = new Date(this.options.clock.now()).toISOString();
    await this.options.store.update({
      ...this.observed.record,
      holderIdentity: '',
      leaseDurationSeconds: 1,
      renewTime: now,
      acquireTime: now,
    });
    this.options.logger.info({ identity: this.options.identity }, 'released the Lease');
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { store, identity, clock, logger } = this.options;
    const now = clock.now();
    const nowIso = new Date(now).toISOString();
    const durationSeconds = Math.ceil(this.options.leaseDurationMs / 1000);
    try {
      const current = await store.get();
      if (!current) {
        const created = await store.create({
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: nowIso,
          renewTime: nowIso,
          leaseTransitions: 0,
        });
        this.observed = { record: created, at: now };
        return true;
      }
      if (!this.observed || !sameRecord(this.observed.record, current))
        this.observed = { record: current, at: now };
      const heldByOther = current.holderIdentity !== '' && current.holderIdentity !== identity;
      const expiresAt = this.observed.at + current.leaseDurationSeconds * 1000;
      if (heldByOther && expiresAt > now) return false;
      const takingOver = current.holderIdentity !== identity;
      const updated = await store.update({
        ...current,
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        renewTime: nowIso,
        acquireTime: takingOver ? nowIso : current.acquireTime,
        leaseTransitions: current.leaseTransitions + (takingOver ? 1 : 0),
      });
      this.observed = { record: updated, at: now };
      return true;
    } catch (err) {
      logger.warn({ err, identity }, 'Lease acquire or renew failed');
      return false;
    }
  }

  private async sleep(ms: number): Promise<void> {
    try {
      await this.options.clock.sleep(ms, this.abort.signal);
    } catch {
      // Aborted by stop(): the loops check `stopped` next.
    }
  }
}

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.renewTime === b.renewTime &&
    a.resourceVersion === b.resourceVersion
  );
}

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LeaderElector, type LeaseRecord, type LeaseStore } from '../../../src/runtime/leader-election.js';
import { FakeClock, flushPromises } from '../../support/fake-clock.js';

/** One Lease with resourceVersion checks, as the API server keeps it. */
class MemoryLease implements LeaseStore {
  record: LeaseRecord | undefined;
  private version = 0;
  failing = false;

  async get() {
    if (this.failing) throw new Error('apiserver unavailable');
    return this.record ? { ...this.record } : undefined;
  }
  async create(record: LeaseRecord) {
    if (this.record) throw Object.assign(new Error('exists'), { statusCode: 409 });
    this.record = { ...record, resourceVersion: String(++this.version) };
    return { ...this.record };
  }
  async update(record: LeaseRecord) {
    if (this.failing) throw new Error('apiserver unavailable');
    if (record.resourceVersion !== this.record?.resourceVersion) {
      throw Object.assign(new Error('conflict'), { statusCode: 409 });
    }
    this.record = { ...record, resourceVersion: String(++this.version) };
    return { ...this.record };
  }
}

function elector(store: LeaseStore, clock: FakeClock, identity: string) {
  return new LeaderElector({
    store,
    identity,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    clock,
    logger: pino({ level: 'silent' }),
  });
}

describe('LeaderElector', () => {
  it('elects one leader; the other takes over one lease duration after the leader stops renewing', async () => {
    const clock = new FakeClock();
    const lease = new MemoryLease();
    const a = elector(lease, clock, 'a');
    const b = elector(lease, clock, 'b');
    let aLeads = false;
    let bLeads = false;
    void a.acquire().then((v) => {
      aLeads = v;
      return a.holdUntilLost();
    });
    await flushPromises();
    void b.acquire().then((v) => {
      bLeads = v;
    });
    await clock.advanceAsync(10_000);
    expect([aLeads, bLeads]).toEqual([true, false]);
    expect(lease.record?.holderIdentity).toBe('a');

    // a is killed: it neither renews nor releases.
    a.stop();
    await clock.advanceAsync(14_000);
    expect(bLeads).toBe(false);
    await clock.advanceAsync(4_000);
    expect(bLeads).toBe(true);
    expect(lease.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    b.stop();
  });

  it('hands over at once when the leader releases on shutdown', async () => {
    const clock = new FakeClock();
    const lease = new MemoryLease();
    const a = elector(lease, clock, 'a');
    const b = elector(lease, clock, 'b');
    await a.acquire();
    let bLeads = false;
    void b.acquire().then((v) => {
      bLeads = v;
    });
    await clock.advanceAsync(2_000);
    await a.release();
    await clock.advanceAsync(2_000);
    expect(bLeads).toBe(true);
    b.stop();
  });

  it('releases after a renew that is still in flight, so the release is not refused as stale', async () => {
    const clock = new FakeClock();
    const lease = new MemoryLease();
    const a = elector(lease, clock, 'a');
    await a.acquire();
    const holding = a.holdUntilLost();
    let finishRenew: () => void = () => {};
    const update = lease.update.bind(lease);
    // The API server has applied the renew; its answer has not reached the elector yet.
    lease.update = async (record) => {
      const written = await update(record);
      if (record.holderIdentity === 'a') await new Promise<void>((resolve) => (finishRenew = resolve));
      return written;
    };
    await clock.advanceAsync(2_000);
    const released = a.release();
    await flushPromises();
    finishRenew();
    await released;
    await holding;
    expect(lease.record).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
  });

  it('releases a Lease whose acquire was still in flight when the shutdown began', async () => {
    const clock = new FakeClock();
    const lease = new MemoryLease();
    const a = elector(lease, clock, 'a');
    let finishCreate: () => void = () => {};
    const create = lease.create.bind(lease);
    // The API server has created the Lease for `a`; its answer has not reached the elector yet.
    lease.create = async (record) => {
      const written = await create(record);
      await new Promise<void>((resolve) => (finishCreate = resolve));
      return written;
    };
    const acquired = a.acquire();
    await flushPromises();
    const released = a.release();
    await flushPromises();
    finishCreate();
    await released;
    expect(await acquired).toBe(true);
    expect(lease.record).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
  });
  it('stops leading when it cannot renew within the renew deadline', async () => {
    const clock = new FakeClock();
    const lease = new MemoryLease();
    const a = elector(lease, clock, 'a');
    await a.acquire();
    let lost = false;
    void a.holdUntilLost().then(() => {
      lost = true;
    });
    await clock.advanceAsync(6_000);
    expect(lost).toBe(false);
    lease.failing = true;
    await clock.advanceAsync(8_000);
    expect(lost).toBe(false);
    await clock.advanceAsync(4_000);
    expect(lost).toBe(true);
    expect(a.isLeader()).toBe(false);
  });
});

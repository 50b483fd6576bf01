import { describe, expect, it } from 'vitest';
import {
  CallLog,
  earlyRetries,
  faultRules,
  RetryLog,
  seededRandom,
  TWENTY_PERCENT_FAULTS,
} from '../../support/converge-figures.js';
import type { ProxiedRequest } from '../../support/fault-proxy/index.js';

const retryLine = (time: number, key: string, retryInMs: number) =>
  `${JSON.stringify({ level: 50, time, controller: 'WorkloadIdentity', key, retryInMs, msg: 'reconcile failed; retrying' })}\n`;

describe('earlyRetries', () => {
  it('flags the first call after a failure that came before the retry the controller scheduled', () => {
    const retries = new RetryLog();
    retries.write(retryLine(1000, 'shop/a', 500));
    retries.write(retryLine(1000, 'shop/b', 500));
    retries.write(`${JSON.stringify({ time: 1, msg: 'reconciled' })}\n`);
    const calls = new CallLog();
    // a: called during the failing reconcile, then 300 ms after the failure: early.
    calls.record('WorkloadIdentity shop/a', 900);
    calls.record('WorkloadIdentity shop/a', 1300);
    // b: called again 500 ms after, as scheduled.
    calls.record('WorkloadIdentity shop/b', 1500);

    expect(earlyRetries(retries, calls)).toEqual({
      early: [{ object: 'WorkloadIdentity shop/a', failedAt: 1000, retryInMs: 500, calledAt: 1300 }],
      checked: 2,
    });
    expect(retries.total()).toBe(2);
    expect(retries.maxPerObject()).toBe(1);
  });
});

describe('faultRules', () => {
  it('fails about the mix it is given, one draw per request', () => {
    const rules = faultRules(TWENTY_PERCENT_FAULTS, seededRandom(1));
    const tally = { throttled: 0, unavailable: 0, reset: 0, slow: 0, untouched: 0 };
    for (let i = 0; i < 20_000; i++) {
      const request = { method: 'POST', url: '/', headers: {}, body: Buffer.alloc(0), operation: 'GetRole' };
      const rule = rules.find((r) => r.when?.(request as ProxiedRequest));
      if (!rule) tally.untouched += 1;
      else if (rule.reset) tally.reset += 1;
      else if (rule.respond?.status === 503) tally.unavailable += 1;
      else if (rule.respond) tally.throttled += 1;
      else tally.slow += 1;
    }
    expect(tally.throttled / 20_000).toBeCloseTo(0.08, 2);
    expect(tally.unavailable / 20_000).toBeCloseTo(0.07, 2);
    expect(tally.reset / 20_000).toBeCloseTo(0.05, 2);
    expect(tally.slow / 20_000).toBeCloseTo(0.1 * 0.8, 2);
  });

  it('replays the same faults for the same seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const draws = Array.from({ length: 5 }, () => [a(), b()]);
    for (const [x, y] of draws) expect(x).toBe(y);
    expect(new Set(draws.map(([x]) => x)).size).toBe(5);
  });
});

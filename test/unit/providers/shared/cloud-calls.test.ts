import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AccountLimiter, cloudCalls } from '../../../../src/providers/shared/cloud-calls.js';
import { withDeadline } from '../../../../src/runtime/context.js';
import { ClassifiedError, retryable } from '../../../../src/runtime/errors.js';
import { testContext } from '../../../support/context.js';
import { FakeClock, flushPromises } from '../../../support/fake-clock.js';

const RATE = { qps: 100, burst: 100 };
const classify = (err: unknown, operation: string) =>
  err instanceof ClassifiedError ? err : retryable('CloudUnavailable', `${operation}: ${String(err)}`, err);

/** An SDK call that never answers but stops when its signal aborts, as the cloud SDKs do. */
function neverAnswers(seen: AbortSignal[]) {
  return (signal: AbortSignal) =>
    new Promise<never>((_, reject) => {
      seen.push(signal);
      signal.addEventListener('abort', () => reject(new Error('Request aborted')));
    });
}

describe('cloudCalls', () => {
  it('stops a call that does not answer within the per-call timeout: retryable Timeout naming the call', async () => {
    const clock = new FakeClock(0);
    const calls = cloudCalls(
      new AccountLimiter({ read: RATE, write: RATE }, clock),
      classify,
      () => false,
      2000,
    );
    const seen: AbortSignal[] = [];
    const outcome = calls
      .call(testContext(clock), 'GetRole', neverAnswers(seen))
      .catch((err: unknown) => err);
    await clock.advanceAsync(1999);
    expect(seen[0]?.aborted).toBe(false);
    await clock.advanceAsync(1);
    expect(await outcome).toMatchObject({
      kind: 'retryable',
      reason: 'Timeout',
      message: 'GetRole: no answer within 2s',
    });
    expect(seen[0]?.aborted).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("stops a call when the reconcile's deadline passes first, with the deadline's reason", async () => {
    const clock = new FakeClock(0);
    const calls = cloudCalls(
      new AccountLimiter({ read: RATE, write: RATE }, clock),
      classify,
      () => false,
      20_000,
    );
    const scope = withDeadline(new AbortController().signal, 5000, pino({ level: 'silent' }), clock);
    const outcome = calls.call(scope.context, 'CreateRole', neverAnswers([])).catch((err: unknown) => err);
    await clock.advanceAsync(5000);
    expect(await outcome).toMatchObject({
      kind: 'retryable',
      reason: 'Timeout',
      message: 'CreateRole: the reconcile did not finish within its deadline of 5s',
    });
    scope.end();
  });

  it('gives up waiting for the rate limit when the reconcile is aborted, and calls nothing', async () => {
    const clock = new FakeClock(0);
    const slow = { qps: 1, burst: 1 };
    const calls = cloudCalls(new AccountLimiter({ read: slow, write: slow }, clock), classify, () => false);
    let sent = 0;
    await calls.call(testContext(clock), 'GetRole', async () => {
      sent++;
    });
    const stop = new AbortController();
    const waiting = calls
      .call(testContext(clock, stop.signal), 'GetRole', async () => {
        sent++;
      })
      .catch((err: unknown) => err);
    await flushPromises();
    stop.abort(
      new ClassifiedError('the operator is shutting down', { kind: 'retryable', reason: 'ShuttingDown' }),
    );
    expect(await waiting).toMatchObject({
      reason: 'ShuttingDown',
      message: "GetRole (waiting for the account's rate limit): the operator is shutting down",
    });
    expect(sent).toBe(1);
  });

  it('classifies other failures once, pauses the bucket on throttling, and reads "not found" as absent', async () => {
    const clock = new FakeClock(0);
    const limiter = new AccountLimiter({ read: RATE, write: RATE }, clock);
    const notFound = new Error('NoSuchEntity');
    const calls = cloudCalls(limiter, classify, (cause) => cause === notFound);
    const ctx = testContext(clock);
    await expect(
      calls.optional(ctx, 'GetRole', async () => {
        throw notFound;
      }),
    ).resolves.toBeUndefined();
    await expect(
      calls.call(ctx, 'PutRolePolicy', async () => {
        throw new ClassifiedError('Rate exceeded', {
          kind: 'throttled',
          reason: 'Throttled',
          retryAfterMs: 1500,
        });
      }),
    ).rejects.toMatchObject({ kind: 'throttled' });
    const next = calls.call(ctx, 'PutRolePolicy', async () => 'written');
    let done = false;
    void next.then(() => {
      done = true;
    });
    await clock.advanceAsync(1499);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    await expect(next).resolves.toBe('written');
  });
});

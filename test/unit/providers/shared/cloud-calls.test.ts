import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AccountLimiter,
  accountLimiter,
  cloudCalls,
  DEFAULT_RATE_HEADROOM,
  THROTTLED_ATTEMPTS,
} from '../../../../src/providers/shared/cloud-calls.js';
import { withDeadline } from '../../../../src/runtime/context.js';
import { ClassifiedError } from '../../../../src/runtime/errors.js';
import { testContext } from '../../../support/context.js';
import { FakeClock, flushPromises } from '../../../support/fake-clock.js';

const RATE = { qps: 100, burst: 100 };
const passThrough = (err: unknown, operation: string) =>
  err instanceof ClassifiedError
    ? err
    : new ClassifiedError(`${operation}: ${String(err)}`, {
        kind: 'retryable',
        reason: 'CloudUnavailable',
        cause: err,
      });

/** Errors the fake cloud throws, classified as a provider's classifier would. */
const classify = (err: unknown, operation: string): ClassifiedError => {
  const what = (err as Error).message;
  if (what.startsWith('throttled')) {
    const seconds = Number(what.split(' ')[1]);
    return new ClassifiedError(`${operation}: ${what}`, {
      kind: 'throttled',
      reason: 'Throttled',
      cause: err,
      ...(seconds > 0 ? { retryAfterMs: seconds * 1000 } : {}),
    });
  }
  if (what === 'not found')
    return new ClassifiedError(what, { kind: 'retryable', reason: 'NotFound', cause: err });
  return new ClassifiedError(`${operation}: ${what}`, {
    kind: 'retryable',
    reason: 'CloudUnavailable',
    cause: err,
  });
};

function world(qps = 10) {
  const clock = new FakeClock(0);
  const throttledOperations: string[] = [];
  const limiter = new AccountLimiter(
    { read: { qps, burst: 1 }, write: { qps, burst: 1 } },
    clock,
    (operation) => throttledOperations.push(operation),
  );
  const calls = cloudCalls(limiter, classify, (cause) => (cause as Error).message === 'not found');
  /** A send that fails with the given messages in turn, then answers 'ok'; records when it was sent. */
  const scripted = (...failures: string[]) => {
    const sentAt: number[] = [];
    const send = async () => {
      sentAt.push(clock.now());
      const failure = failures.shift();
      if (failure) throw new Error(failure);
      return 'ok';
    };
    return { send, sentAt };
  };
  return { clock, limiter, calls, scripted, throttledOperations, ctx: testContext(clock) };
}

describe('cloudCalls under throttling', () => {
  it('sends a call throttled without Retry-After again after the next token, at the slowed rate', async () => {
    const { clock, limiter, calls, scripted, throttledOperations, ctx } = world();
    const { send, sentAt } = scripted('throttled', 'throttled');
    const result = calls.call(ctx, 'GetRole', send);
    await clock.advanceAsync(5000);
    await expect(result).resolves.toBe('ok');
    expect(sentAt).toHaveLength(3);
    // Each throttled answer is told, the ones the call was sent again after too.
    expect(throttledOperations).toEqual(['GetRole', 'GetRole']);
    expect(limiter.read.currentQps()).toBeLessThan(10);
    // The bucket holds one token (burst 1): each attempt waits its turn.
    expect((sentAt[1] ?? 0) - (sentAt[0] ?? 0)).toBeGreaterThanOrEqual(100);
  });

  it(`gives up after ${THROTTLED_ATTEMPTS} throttled attempts, and at once when the cloud sent a Retry-After`, async () => {
    const { clock, limiter, calls, scripted, throttledOperations, ctx } = world();
    const always = scripted(...Array.from({ length: 10 }, () => 'throttled'));
    const failed = calls.call(ctx, 'PutRolePolicy', always.send).catch((err: unknown) => err);
    await clock.advanceAsync(10_000);
    expect(await failed).toMatchObject({ kind: 'throttled' });
    expect(always.sentAt).toHaveLength(THROTTLED_ATTEMPTS);

    const waitFor = scripted('throttled 7');
    const paused = calls.call(ctx, 'PutRolePolicy', waitFor.send).catch((err: unknown) => err);
    await clock.advanceAsync(1000);
    expect(await paused).toMatchObject({ kind: 'throttled', retryAfterMs: 7000 });
    expect(waitFor.sentAt).toHaveLength(1);
    expect(throttledOperations).toHaveLength(THROTTLED_ATTEMPTS + 1);
    // Every writer waits for the Retry-After.
    const next = scripted();
    const after = calls.call(ctx, 'CreateRole', next.send);
    const pausedAt = clock.now();
    await clock.advanceAsync(10_000);
    await after;
    expect((next.sentAt[0] ?? 0) - pausedAt).toBeGreaterThanOrEqual(6000);
    expect(limiter.read.currentQps()).toBe(10);
  });

  it('throws other failures at once, classified, and reads "not found" as absent in optional', async () => {
    const { clock, calls, scripted, throttledOperations, ctx } = world();
    const down = scripted('connection reset');
    const failed = calls.call(ctx, 'GetRole', down.send).catch((err: unknown) => err);
    await clock.advanceAsync(100);
    expect(await failed).toMatchObject({ kind: 'retryable', reason: 'CloudUnavailable' });
    expect(down.sentAt).toHaveLength(1);

    const missing = scripted('not found');
    const absent = calls.optional(ctx, 'GetRole', missing.send);
    await clock.advanceAsync(1000);
    await expect(absent).resolves.toBeUndefined();
    expect(throttledOperations).toEqual([]);
  });
});

/** An SDK call that never answers but stops when its signal aborts, as the cloud SDKs do. */
function neverAnswers(seen: AbortSignal[]) {
  return (signal: AbortSignal) =>
    new Promise<never>((_, reject) => {
      seen.push(signal);
      signal.addEventListener('abort', () => reject(new Error('Request aborted')));
    });
}

describe('cloudCalls deadlines', () => {
  it('stops a call that does not answer within the per-call timeout: retryable Timeout naming the call', async () => {
    const clock = new FakeClock(0);
    const calls = cloudCalls(
      new AccountLimiter({ read: RATE, write: RATE }, clock),
      passThrough,
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
      passThrough,
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
    const calls = cloudCalls(
      new AccountLimiter({ read: slow, write: slow }, clock),
      passThrough,
      () => false,
    );
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
    const calls = cloudCalls(limiter, passThrough, (cause) => cause === notFound);
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

describe('accountLimiter', () => {
  const defaults = { read: { qps: 20, burst: 40 }, write: { qps: 10, burst: 20 } };
  afterEach(() => vi.useRealTimers());
  /** Answers 100 calls a second for `seconds` (accountLimiter runs on the real clock: Date.now). */
  const answerFor = (limiter: ReturnType<typeof accountLimiter>, seconds: number) => {
    vi.useFakeTimers({ toFake: ['Date'] });
    for (let i = 0; i < seconds * 100; i++) {
      vi.setSystemTime(Date.now() + 10);
      limiter.write.answered();
    }
  };

  it("starts at the cloud's defaults and may climb above them while the cloud does not throttle", () => {
    const limiter = accountLimiter(defaults, undefined);
    expect(limiter.write.currentQps()).toBe(10);
    expect(limiter.read.currentQps()).toBe(20);
    answerFor(limiter, 5);
    expect(limiter.write.currentQps()).toBeGreaterThan(20);
    expect(limiter.write.currentQps()).toBeLessThanOrEqual(10 * DEFAULT_RATE_HEADROOM);
    answerFor(limiter, 30);
    expect(limiter.write.currentQps()).toBe(10 * DEFAULT_RATE_HEADROOM);
  });

  it("holds an account's own rateLimits as a ceiling", () => {
    const limiter = accountLimiter(defaults, { writes: { qps: 5, burst: 5 } });
    answerFor(limiter, 30);
    expect(limiter.write.currentQps()).toBe(5);
    expect(limiter.read.currentQps()).toBe(20);
  });
});

import { describe, expect, it } from 'vitest';
import { CloudError } from '../../../../src/providers/cloud-error.js';
import {
  AccountLimiter,
  cloudCalls,
  THROTTLED_ATTEMPTS,
} from '../../../../src/providers/shared/cloud-calls.js';
import { FakeClock } from '../../../support/fake-clock.js';

/** Errors the fake cloud throws, classified as a provider's classifier would. */
const classify = (err: unknown, operation: string): CloudError => {
  const what = (err as Error).message;
  if (what.startsWith('throttled')) {
    const seconds = Number(what.split(' ')[1]);
    return new CloudError(`${operation}: ${what}`, {
      kind: 'throttled',
      reason: 'Throttled',
      cause: err,
      ...(seconds > 0 ? { retryAfterMs: seconds * 1000 } : {}),
    });
  }
  if (what === 'not found')
    return new CloudError(what, { kind: 'retryable', reason: 'NotFound', cause: err });
  return new CloudError(`${operation}: ${what}`, {
    kind: 'retryable',
    reason: 'CloudUnavailable',
    cause: err,
  });
};

function world(qps = 10) {
  const clock = new FakeClock(0);
  const limiter = new AccountLimiter({ read: { qps, burst: 1 }, write: { qps, burst: 1 } }, clock);
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
  return { clock, limiter, calls, scripted };
}

describe('cloudCalls', () => {
  it('sends a call throttled without Retry-After again after the next token, at the slowed rate', async () => {
    const { clock, limiter, calls, scripted } = world();
    const { send, sentAt } = scripted('throttled', 'throttled');
    const result = calls.call('GetRole', send);
    await clock.advanceAsync(5000);
    await expect(result).resolves.toBe('ok');
    expect(sentAt).toHaveLength(3);
    expect(limiter.read.currentQps()).toBeLessThan(10);
    // The bucket holds one token (burst 1): each attempt waits its turn.
    expect((sentAt[1] ?? 0) - (sentAt[0] ?? 0)).toBeGreaterThanOrEqual(100);
  });

  it(`gives up after ${THROTTLED_ATTEMPTS} throttled attempts, and at once when the cloud sent a Retry-After`, async () => {
    const { clock, limiter, calls, scripted } = world();
    const always = scripted(...Array.from({ length: 10 }, () => 'throttled'));
    const failed = calls.call('PutRolePolicy', always.send).catch((err: unknown) => err);
    await clock.advanceAsync(10_000);
    expect(await failed).toMatchObject({ kind: 'throttled' });
    expect(always.sentAt).toHaveLength(THROTTLED_ATTEMPTS);

    const waitFor = scripted('throttled 7');
    const paused = calls.call('PutRolePolicy', waitFor.send).catch((err: unknown) => err);
    await clock.advanceAsync(1000);
    expect(await paused).toMatchObject({ kind: 'throttled', retryAfterMs: 7000 });
    expect(waitFor.sentAt).toHaveLength(1);
    // Every writer waits for the Retry-After.
    const next = scripted();
    const after = calls.call('CreateRole', next.send);
    const pausedAt = clock.now();
    await clock.advanceAsync(10_000);
    await after;
    expect((next.sentAt[0] ?? 0) - pausedAt).toBeGreaterThanOrEqual(6000);
    expect(limiter.read.currentQps()).toBe(10);
  });

  it('throws other failures at once, classified, and reads "not found" as absent in optional', async () => {
    const { clock, calls, scripted } = world();
    const down = scripted('connection reset');
    const failed = calls.call('GetRole', down.send).catch((err: unknown) => err);
    await clock.advanceAsync(100);
    expect(await failed).toMatchObject({ kind: 'retryable', reason: 'CloudUnavailable' });
    expect(down.sentAt).toHaveLength(1);

    const missing = scripted('not found');
    const absent = calls.optional('GetRole', missing.send);
    await clock.advanceAsync(1000);
    await expect(absent).resolves.toBeUndefined();
  });
});

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  Controller,
  type Reconcile,
  type ReconcileContext,
  type ReconcileResult,
} from '../../../src/runtime/controller.js';
import type { ControllerMetrics, ReconcileOutcome } from '../../../src/runtime/controller-metrics.js';
import { ClassifiedError, terminal, throttled } from '../../../src/runtime/errors.js';
import { FakeClock, flushPromises } from '../../support/fake-clock.js';

const silent = pino({ level: 'silent' });

function recordingMetrics() {
  const outcomes: Array<[string, ReconcileOutcome]> = [];
  const reasons: Array<string | undefined> = [];
  const depths: number[] = [];
  const metrics: ControllerMetrics = {
    reconcileDone: (controller, result, _seconds, reason) => {
      outcomes.push([controller, result]);
      reasons.push(reason);
    },
    queueDepth: (_controller, depth) => depths.push(depth),
    cloudCallsWaiting: () => {},
  };
  return { metrics, outcomes, reasons, depths };
}

function setup(reconcile: Reconcile, workers = 1) {
  const clock = new FakeClock(0);
  const { metrics, outcomes, depths } = recordingMetrics();
  const controller = new Controller({ name: 'widgets', reconcile, logger: silent, clock, metrics, workers });
  controller.start();
  return { clock, controller, outcomes, depths };
}

interface Gate {
  readonly key: string;
  open: boolean;
  release(result?: ReconcileResult): void;
  fail(err: unknown): void;
}

/** Reconciles that wait until the test releases them. */
function gatedReconcile() {
  const gates: Gate[] = [];
  const reconcile: Reconcile = (key) =>
    new Promise<ReconcileResult>((resolve, reject) => {
      const gate: Gate = {
        key,
        open: true,
        release: (result = {}) => {
          gate.open = false;
          resolve(result);
        },
        fail: (err) => {
          gate.open = false;
          reject(err);
        },
      };
      gates.push(gate);
    });
  const running = () => gates.filter((gate) => gate.open);
  return { reconcile, gates, running };
}

describe('Controller', () => {
  it('reconciles an enqueued key once per burst of adds, and reports success', async () => {
    const calls: string[] = [];
    const { metrics, outcomes } = recordingMetrics();
    const controller = new Controller({
      name: 'widgets',
      logger: silent,
      clock: new FakeClock(0),
      metrics,
      reconcile: async (key) => {
        calls.push(key);
        return {};
      },
    });
    controller.enqueue('ns/a');
    controller.enqueue('ns/a');
    controller.enqueue('ns/b');
    controller.enqueue('ns/a');
    controller.start();
    await flushPromises();
    expect(calls).toEqual(['ns/a', 'ns/b']);
    expect(outcomes).toEqual([
      ['widgets', 'success'],
      ['widgets', 'success'],
    ]);
    await controller.stop();
  });

  it('never runs one key on two workers at once, while different keys do run in parallel', async () => {
    const { reconcile, running } = gatedReconcile();
    const { controller } = setup(reconcile, 4);
    let mostForOneKey = 0;
    let mostOverall = 0;
    const observe = (): void => {
      const perKey = new Map<string, number>();
      for (const { key } of running()) perKey.set(key, (perKey.get(key) ?? 0) + 1);
      mostForOneKey = Math.max(mostForOneKey, ...perKey.values());
      mostOverall = Math.max(mostOverall, running().length);
    };
    for (let round = 0; round < 20; round++) {
      // Every key is re-added while it may be running; then one running reconcile finishes.
      for (const key of ['a', 'b', 'c', 'd', 'e']) controller.enqueue(key);
      await flushPromises();
      observe();
      const current = running();
      current[round % current.length]?.release();
      await flushPromises();
      observe();
    }
    expect(mostForOneKey).toBe(1);
    expect(mostOverall).toBe(4);
    for (const gate of running()) gate.release();
    await controller.stop();
  });

  it('reprocesses a key added during its reconcile exactly once more', async () => {
    const { reconcile, gates } = gatedReconcile();
    const { controller } = setup(reconcile, 4);
    controller.enqueue('a');
    await flushPromises();
    controller.enqueue('a');
    controller.enqueue('a');
    controller.enqueue('a');
    await flushPromises();
    expect(gates).toHaveLength(1);
    gates[0]?.release();
    await flushPromises();
    expect(gates).toHaveLength(2);
    gates[1]?.release();
    await flushPromises();
    expect(gates.map((g) => g.key)).toEqual(['a', 'a']);
    await controller.stop();
  });

  it('requeues after requeueAfter', async () => {
    const times: number[] = [];
    const { controller, clock, outcomes } = setup(async () => {
      times.push(clock.now());
      return { requeueAfter: 30_000 };
    });
    controller.enqueue('a');
    await clock.advanceAsync(65_000);
    expect(times).toEqual([0, 30_000, 60_000]);
    expect(outcomes.map(([, outcome]) => outcome)).toEqual(['requeue', 'requeue', 'requeue']);
    await controller.stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('does not retry a terminal failure (also when wrapped), until the key is enqueued again', async () => {
    let calls = 0;
    const { controller, clock, outcomes } = setup(async () => {
      calls++;
      throw new Error('observing failed', { cause: terminal('InvalidSpec', 'the spec is wrong') });
    });
    controller.enqueue('a');
    await clock.advanceAsync(60 * 60_000);
    expect(calls).toBe(1);
    expect(outcomes.map(([, outcome]) => outcome)).toEqual(['terminal']);
    controller.enqueue('a');
    await clock.advanceAsync(60 * 60_000);
    expect(calls).toBe(2);
    expect(controller.queue.retries('a')).toBe(0);
    await controller.stop();
  });

  const failures: Array<[string, () => Promise<ReconcileResult>]> = [
    ['a rejected promise', async () => Promise.reject(new Error('cloud said 500'))],
    [
      'a synchronous throw (panic)',
      () => {
        throw new Error('bug: undefined is not a function');
      },
    ],
    [
      'a thrown non-Error',
      () => {
        throw 'just a string';
      },
    ],
  ];
  for (const [name, fail] of failures) {
    it(`retries ${name} with growing backoff and keeps running`, async () => {
      const times: number[] = [];
      const clock = new FakeClock(0);
      const { metrics, outcomes } = recordingMetrics();
      const controller = new Controller({
        name: 'widgets',
        logger: silent,
        clock,
        metrics,
        reconcile: async (key) => {
          if (key === 'healthy') return {};
          times.push(clock.now());
          return fail();
        },
      });
      controller.start();
      controller.enqueue('failing');
      await clock.advanceAsync(100);
      // Delays 5, 10, 20, 40 ms.
      expect(times).toEqual([0, 5, 15, 35, 75]);
      expect(controller.queue.retries('failing')).toBe(5);
      controller.enqueue('healthy');
      await flushPromises();
      expect(outcomes.at(-1)).toEqual(['widgets', 'success']);
      expect(outcomes.filter(([, outcome]) => outcome === 'error')).toHaveLength(5);
      await controller.stop();
    });
  }

  it("reports each failure's reason: its classification's, Unexpected when unclassified, none on success", async () => {
    const failures = [
      () => new Error('observing failed', { cause: terminal('InvalidSpec', 'the spec is wrong') }),
      () => throttled('429 Too Many Requests', 1),
      () => new Error('a bug'),
    ];
    const { metrics, outcomes, reasons } = recordingMetrics();
    let calls = 0;
    const clock = new FakeClock(0);
    const controller = new Controller({
      name: 'widgets',
      logger: silent,
      clock,
      metrics,
      reconcile: async () => {
        const fail = failures[calls++];
        if (fail) throw fail();
        return {};
      },
    });
    controller.start();
    controller.enqueue('a');
    await clock.advanceAsync(1000);
    // Terminal: tried again only when enqueued again; the other two retry on their own.
    controller.enqueue('a');
    await clock.advanceAsync(1000);
    expect(outcomes.map(([, outcome]) => outcome)).toEqual(['terminal', 'error', 'error', 'success']);
    expect(reasons).toEqual(['InvalidSpec', 'Throttled', 'Unexpected', undefined]);
    await controller.stop();
  });

  it('resets the backoff after a success', async () => {
    const times: number[] = [];
    let failuresLeft = 3;
    const { controller, clock } = setup(async () => {
      times.push(clock.now());
      if (failuresLeft-- > 0) throw new Error('flaky');
      return {};
    });
    controller.enqueue('a');
    await clock.advanceAsync(1000);
    expect(times).toEqual([0, 5, 15, 35]);
    expect(controller.queue.retries('a')).toBe(0);
    failuresLeft = 1;
    controller.enqueue('a');
    await clock.advanceAsync(1000);
    expect(times.slice(4)).toEqual([1000, 1005]);
    await controller.stop();
  });

  it('waits at least retryAfterMs when the error carries it, or the backoff when that is longer', async () => {
    const times: number[] = [];
    const { controller, clock } = setup(async () => {
      times.push(clock.now());
      throw new Error('granting failed', { cause: throttled('429 Too Many Requests', 3000) });
    });
    controller.enqueue('a');
    await clock.advanceAsync(2999);
    expect(times).toEqual([0]);
    await clock.advanceAsync(1);
    expect(times).toEqual([0, 3000]);
    // Backoff for the n-th failure is 5 ms * 2^(n-1): it passes 3000 ms at the 11th (5120 ms).
    await clock.advanceAsync(10 * 60_000);
    const gaps = times.slice(1).map((time, i) => time - (times[i] ?? 0));
    expect(gaps.slice(0, 10)).toEqual(Array(10).fill(3000));
    expect(gaps.slice(10, 13)).toEqual([5120, 10_240, 20_480]);
    await controller.stop();
  });

  it('waits retryAfterMs on a retryable error that carries it (a cloud known to need that long)', async () => {
    const times: number[] = [];
    const { controller, clock } = setup(async () => {
      times.push(clock.now());
      throw new ClassifiedError('not visible yet', {
        kind: 'retryable',
        reason: 'NotFound',
        retryAfterMs: 1000,
      });
    });
    controller.enqueue('a');
    await clock.advanceAsync(999);
    expect(times).toEqual([0]);
    await clock.advanceAsync(1);
    expect(times).toEqual([0, 1000]);
    await controller.stop();
  });

  it('stop takes no new work and waits for in-flight reconciles', async () => {
    const { reconcile, gates } = gatedReconcile();
    const { controller, clock } = setup(reconcile, 2);
    controller.enqueue('a');
    controller.enqueue('b');
    await flushPromises();
    controller.queue.addAfter('c', 1000);
    let stopped = false;
    const stopping = controller.stop().then(() => {
      stopped = true;
    });
    controller.enqueue('d');
    await clock.advanceAsync(5000);
    expect(stopped).toBe(false);
    gates[0]?.release();
    await flushPromises();
    expect(stopped).toBe(false);
    gates[1]?.fail(new Error('failed during shutdown'));
    await stopping;
    expect(gates.map((g) => g.key)).toEqual(['a', 'b']);
    expect(clock.pendingTimers()).toBe(0);
    expect(() => controller.start()).toThrow(/stopped/);
  });

  it('logs every reconcile with controller, key and a reconcileId, and hands that logger to reconcile', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const ids = ['r1', 'r2'];
    const clock = new FakeClock(0);
    const controller = new Controller({
      name: 'widgets',
      logger,
      clock,
      newReconcileId: () => ids.shift() ?? 'r?',
      reconcile: async (key, { logger: reconcileLogger, reconcileId }) => {
        reconcileLogger.info({ seenId: reconcileId }, 'inside');
        if (key === 'ns/bad') throw new Error('boom');
        return {};
      },
    });
    controller.start();
    controller.enqueue('ns/good');
    controller.enqueue('ns/bad');
    await flushPromises();
    await controller.stop();
    const inside = lines.filter((line) => line.msg === 'inside');
    expect(inside).toEqual([
      expect.objectContaining({ controller: 'widgets', key: 'ns/good', reconcileId: 'r1', seenId: 'r1' }),
      expect.objectContaining({ controller: 'widgets', key: 'ns/bad', reconcileId: 'r2', seenId: 'r2' }),
    ]);
    const failure = lines.find((line) => line.msg === 'reconcile failed unexpectedly; retrying');
    expect(failure).toMatchObject({ controller: 'widgets', key: 'ns/bad', reconcileId: 'r2', retryInMs: 5 });
    expect(failure?.err).toMatchObject({ message: 'boom' });
  });

  it('logs a classified failure once, with its reason and when it is retried, and no stack', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const controller = new Controller({
      name: 'widgets',
      logger,
      clock: new FakeClock(0),
      reconcile: async () => {
        throw throttled('GetRole: Throttling: Rate exceeded', 2000);
      },
    });
    controller.start();
    controller.enqueue('ns/a');
    await flushPromises();
    await controller.stop();
    const failures = lines.filter((line) => String(line.msg).startsWith('reconcile failed'));
    expect(failures).toEqual([
      expect.objectContaining({ msg: 'reconcile failed; retrying', reason: 'Throttled', retryInMs: 2000 }),
    ]);
    expect(failures[0]).not.toHaveProperty('err');
  });

  it('gives each reconcile a deadline: its signal aborts with a Timeout, and the worker is free for other keys', async () => {
    const clock = new FakeClock(0);
    const seen: Array<[string, unknown]> = [];
    const controller = new Controller({
      name: 'widgets',
      logger: silent,
      clock,
      workers: 1,
      reconcileTimeoutMs: 60_000,
      reconcile: (key, { signal, deadline }) => {
        if (key === 'fast') {
          seen.push([key, deadline]);
          return Promise.resolve({});
        }
        // A call that never answers but honours its signal, as every cloud call must.
        return new Promise((_, reject) => {
          signal.addEventListener('abort', () => {
            seen.push([key, signal.reason]);
            reject(signal.reason);
          });
        });
      },
    });
    controller.start();
    controller.enqueue('hung');
    controller.enqueue('fast');
    await clock.advanceAsync(59_999);
    expect(seen).toEqual([]);
    await clock.advanceAsync(1);
    expect(seen[0]).toEqual(['hung', expect.objectContaining({ kind: 'retryable', reason: 'Timeout' })]);
    expect(seen[1]).toEqual(['fast', 120_000]);
    expect(controller.queue.retries('hung')).toBe(1);
    await controller.stop();
  });

  it('stop aborts every in-flight reconcile with ShuttingDown and resolves once each has settled', async () => {
    const clock = new FakeClock(0);
    const reasons: unknown[] = [];
    const settles: Array<() => void> = [];
    const controller = new Controller({
      name: 'widgets',
      logger: silent,
      clock,
      workers: 2,
      reconcile: (_key, { signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener('abort', () => {
            reasons.push(signal.reason);
            // The call stops a moment after its abort, as an HTTP request does.
            settles.push(() => reject(signal.reason));
          });
        }),
    });
    controller.start();
    controller.enqueue('a');
    controller.enqueue('b');
    await flushPromises();
    let stopped = false;
    const stopping = controller.stop().then(() => {
      stopped = true;
    });
    await flushPromises();
    expect(reasons).toEqual([
      expect.objectContaining({ reason: 'ShuttingDown' }),
      expect.objectContaining({ reason: 'ShuttingDown' }),
    ]);
    expect(stopped).toBe(false);
    settles[0]?.();
    await flushPromises();
    expect(stopped).toBe(false);
    settles[1]?.();
    await stopping;
    expect(stopped).toBe(true);
  });

  it('reports queue depth', async () => {
    const { reconcile, gates } = gatedReconcile();
    const { controller, depths } = setup(reconcile, 1);
    controller.enqueue('a');
    controller.enqueue('b');
    controller.enqueue('c');
    await flushPromises();
    expect(depths.at(-1)).toBe(2);
    gates[0]?.release();
    await flushPromises();
    expect(depths.at(-1)).toBe(1);
    for (const gate of gates) gate.release();
    await flushPromises();
    for (const gate of gates) gate.release();
    await controller.stop();
    expect(depths.at(-1)).toBe(0);
  });

  it('rejects a non-positive worker count', () => {
    expect(
      () => new Controller({ name: 'x', logger: silent, reconcile: async () => ({}), workers: 0 }),
    ).toThrow(/workers/);
  });

  it('hands every reconcile one gate of cloudConcurrency turns, which bounds their calls while all workers run', async () => {
    const contexts: ReconcileContext[] = [];
    const endCall: Array<() => void> = [];
    let calling = 0;
    let mostCalling = 0;
    const reconcile: Reconcile = async (_key, context) => {
      contexts.push(context);
      await context.cloudCalls?.run(context.signal, async () => {
        calling++;
        mostCalling = Math.max(mostCalling, calling);
        await new Promise<void>((resolve) => endCall.push(resolve));
        calling--;
      });
      return {};
    };
    const waiting: Array<[string, number]> = [];
    const metrics = {
      ...recordingMetrics().metrics,
      cloudCallsWaiting: (controller: string, n: number) => waiting.push([controller, n]),
    };
    const controller = new Controller({
      name: 'widgets',
      reconcile,
      logger: silent,
      metrics,
      workers: 4,
      cloudConcurrency: 2,
    });
    controller.start();
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) controller.enqueue(key);
    await flushPromises();
    expect(contexts).toHaveLength(4);
    expect(new Set(contexts.map((c) => c.cloudCalls)).size).toBe(1);
    expect(contexts[0]?.cloudCalls?.limit).toBe(2);
    while (endCall.length > 0) {
      endCall.shift()?.();
      await flushPromises();
    }
    expect(contexts).toHaveLength(6);
    expect(mostCalling).toBe(2);
    // At 0 from the start; two of the first four reconciles waited for a turn; every wait ended.
    expect(waiting[0]).toEqual(['widgets', 0]);
    expect(Math.max(...waiting.map(([, n]) => n))).toBe(2);
    expect(waiting.at(-1)).toEqual(['widgets', 0]);
    await controller.stop();
  });

  it('gives reconciles no gate when cloudConcurrency is unset', async () => {
    const contexts: ReconcileContext[] = [];
    const controller = new Controller({
      name: 'widgets',
      logger: silent,
      reconcile: async (_key, context) => {
        contexts.push(context);
        return {};
      },
    });
    controller.start();
    controller.enqueue('a');
    await flushPromises();
    expect(contexts[0]?.cloudCalls).toBeUndefined();
    await controller.stop();
  });

  it.each([0, 5, 1.5])('rejects a cloudConcurrency of %s with 4 workers', (cloudConcurrency) => {
    expect(
      () =>
        new Controller({
          name: 'x',
          logger: silent,
          reconcile: async () => ({}),
          workers: 4,
          cloudConcurrency,
        }),
    ).toThrow(/cloudConcurrency must be an integer from 1 to workers \(4\)/);
  });
});

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Informer, type InformerOptions } from '../../../src/runtime/informer.js';
import { keyOf } from '../../../src/runtime/kube-object.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeListWatchSource, GONE, type TestObject } from './fake-list-watch-source.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** A small deterministic PRNG, so jittered delays are reproducible. */
function seededRandom(seed = 7): () => number {
  let state = seed;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) % 2 ** 32;
    return state / 2 ** 32;
  };
}

function setup(options: Partial<InformerOptions<TestObject>> = {}) {
  const clock = new FakeClock(0);
  const source = new FakeListWatchSource();
  const events: string[] = [];
  const informer = new Informer<TestObject>({
    name: 'testobjects',
    source,
    clock,
    logger: pino({ level: 'silent' }),
    random: seededRandom(),
    ...options,
  });
  informer.addHandlers({
    onAdd: (obj) => events.push(`add ${keyOf(obj)}=${obj.spec.value}`),
    onUpdate: (old, obj) => events.push(`update ${keyOf(obj)} ${old.spec.value}->${obj.spec.value}`),
    onDelete: (obj) => events.push(`delete ${keyOf(obj)}`),
  });
  return { clock, source, events, informer };
}

function expectCacheMatchesSource(informer: Informer<TestObject>, source: FakeListWatchSource): void {
  const cached = new Map(informer.store.list().map((obj) => [keyOf(obj), obj.metadata.resourceVersion]));
  const actual = new Map([...source.objects].map(([key, obj]) => [key, obj.metadata.resourceVersion]));
  expect(cached).toEqual(actual);
}

/** Every scenario ends here: the cache is right, and stop leaves no timer and no watch behind. */
function stopAndCheck(context: ReturnType<typeof setup>): void {
  const { informer, source, clock } = context;
  expectCacheMatchesSource(informer, source);
  informer.stop();
  expect(clock.pendingTimers()).toBe(0);
  expect(source.activeWatches()).toBe(0);
}

async function started(options: Partial<InformerOptions<TestObject>> = {}) {
  const context = setup(options);
  context.informer.start();
  await context.clock.advanceAsync(0);
  return context;
}

describe('Informer: list and watch', () => {
  it('lists, syncs, then watches from the list resourceVersion', async () => {
    const context = setup();
    const { source, informer, events, clock } = context;
    source.upsert('a', '1');
    source.upsert('b', '1');
    expect(informer.hasSynced()).toBe(false);
    const synced = informer.waitForSync();
    informer.start();
    await clock.advanceAsync(0);
    await synced;
    expect(informer.hasSynced()).toBe(true);
    expect(events).toEqual(['add ns/a=1', 'add ns/b=1']);
    expect(source.calls).toEqual(['list', `watch#1 from ${FakeListWatchSource.resourceVersion(2)}`]);
    stopAndCheck(context);
  });

  it('applies watch events to the cache and calls handlers synchronously, in order', async () => {
    const context = await started();
    const { source, informer, events } = context;
    const seenInCache: Array<string | undefined> = [];
    informer.addHandlers({
      onAdd: (obj) => seenInCache.push(informer.store.get(keyOf(obj))?.spec.value),
      onUpdate: (_old, obj) => seenInCache.push(informer.store.get(keyOf(obj))?.spec.value),
      onDelete: (obj) => seenInCache.push(informer.store.get(keyOf(obj))?.spec.value ?? 'gone'),
    });
    source.upsert('a', '1');
    source.upsert('a', '2');
    source.upsert('b', '1');
    source.remove('ns/a');
    source.upsert('a', '3');
    // No awaiting: every handler has already run.
    expect(events).toEqual(['add ns/a=1', 'update ns/a 1->2', 'add ns/b=1', 'delete ns/a', 'add ns/a=3']);
    expect(seenInCache).toEqual(['1', '2', '1', 'gone', '3']);
    stopAndCheck(context);
  });

  it('treats resourceVersions as opaque: versions that count down still apply, a repeated one does not', async () => {
    const context = await started();
    const { source, events } = context;
    const first = source.upsert('a', '1');
    const second = source.upsert('a', '2');
    expect(Number(second.metadata.resourceVersion)).toBeLessThan(Number(first.metadata.resourceVersion));
    expect(events).toEqual(['add ns/a=1', 'update ns/a 1->2']);
    source.resend('ns/a');
    expect(events).toEqual(['add ns/a=1', 'update ns/a 1->2']);
    stopAndCheck(context);
  });

  it('a handler that throws does not stop other handlers or later events', async () => {
    const context = await started();
    const { source, informer, events } = context;
    informer.addHandlers({
      onAdd: () => {
        throw new Error('handler bug');
      },
    });
    source.upsert('a', '1');
    source.upsert('b', '1');
    expect(events).toEqual(['add ns/a=1', 'add ns/b=1']);
    stopAndCheck(context);
  });

  it('replays cached objects to handlers added later, and stops calling removed handlers', async () => {
    const context = setup();
    const { source, informer, clock } = context;
    source.upsert('a', '1');
    informer.start();
    await clock.advanceAsync(0);
    const late: string[] = [];
    const remove = informer.addHandlers({ onAdd: (obj) => late.push(keyOf(obj)) });
    expect(late).toEqual(['ns/a']);
    remove();
    source.upsert('b', '1');
    expect(late).toEqual(['ns/a']);
    stopAndCheck(context);
  });

  it('survives an indexer that throws: relists with backoff until the object can be indexed', async () => {
    let broken = false;
    const context = await started({
      indexers: {
        byValue: (obj) => {
          if (broken && obj.spec.value === 'poison') throw new Error('indexer bug');
          return [obj.spec.value];
        },
      },
    });
    const { source, informer, clock } = context;
    broken = true;
    source.upsert('a', 'poison');
    source.upsert('b', '1');
    await clock.advanceAsync(5 * SECOND);
    expect(source.listCalls).toBeGreaterThan(1);
    expect(informer.store.get('ns/a')).toBeUndefined();
    broken = false;
    await clock.advanceAsync(MINUTE);
    expect(informer.store.byIndex('byValue', 'poison').map(keyOf)).toEqual(['ns/a']);
    stopAndCheck(context);
  });

  it('retries a failed list with backoff and only then syncs', async () => {
    const context = setup();
    const { source, informer, clock } = context;
    source.upsert('a', '1');
    source.listFailures.push(new Error('503'), new Error('503'));
    informer.start();
    await clock.advanceAsync(0);
    expect(informer.hasSynced()).toBe(false);
    await clock.advanceAsync(10 * SECOND);
    expect(source.listCalls).toBe(3);
    expect(informer.hasSynced()).toBe(true);
    stopAndCheck(context);
  });
});

describe('Informer: restarts', () => {
  const failureModes = ['fail-while-connecting', 'fail-after-connect', 'reject'] as const;
  const randoms = { 'no jitter': () => 0, 'most jitter': () => 0.999, seeded: seededRandom(3) };

  for (const mode of failureModes) {
    for (const [jitterName, random] of Object.entries(randoms)) {
      it(`backs off without a reconnect storm while every watch fails (${mode}, ${jitterName})`, async () => {
        const context = await started({ random });
        const { source, clock, informer, events } = context;
        source.upsert('a', '1');
        source.watchMode = mode;
        source.endWatches(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));

        let mostTimers = 0;
        for (let elapsed = 0; elapsed < MINUTE; elapsed += SECOND) {
          await clock.advanceAsync(SECOND);
          mostTimers = Math.max(mostTimers, clock.pendingTimers());
        }
        // Restarts at ≤1, ≤3, ≤7, ≤15, ≤31, ≤61 s (no jitter) or about half of that (most jitter).
        const restarts = source.watchCalls - 1;
        expect(restarts).toBeGreaterThanOrEqual(5);
        expect(restarts).toBeLessThanOrEqual(7);
        // One restart timer and one periodic-relist timer: never a pile of pending restarts.
        expect(mostTimers).toBeLessThanOrEqual(2);
        expect(source.listCalls).toBe(1);

        // The server recovers: the next restart resumes from the last resourceVersion.
        source.upsert('b', '1');
        source.remove('ns/a');
        source.watchMode = 'normal';
        events.length = 0;
        await clock.advanceAsync(MINUTE);
        expect(events).toEqual(['add ns/b=1', 'delete ns/a']);
        expect(source.listCalls).toBe(1);
        expect(informer.hasSynced()).toBe(true);
        stopAndCheck(context);
      });
    }
  }

  it('restarts a watch that ended cleanly (server timeout) from the last resourceVersion', async () => {
    const context = await started();
    const { source, clock } = context;
    source.upsert('a', '1');
    source.endWatches();
    source.upsert('a', '2');
    await clock.advanceAsync(2 * SECOND);
    expect(source.calls.at(-1)).toBe(`watch#2 from ${FakeListWatchSource.resourceVersion(1)}`);
    expect(source.listCalls).toBe(1);
    stopAndCheck(context);
  });

  it('an ERROR event and the end of the same stream cause one restart, not two', async () => {
    const context = await started();
    const { source, clock } = context;
    source.sendError({ kind: 'Status', code: 500, message: 'internal error' });
    source.endWatches(new Error('stream closed'));
    source.endWatches();
    await clock.advanceAsync(MINUTE);
    expect(source.watchCalls).toBe(2);
    expect(source.listCalls).toBe(1);
    stopAndCheck(context);
  });

  it('resets the backoff once a watch delivers events again', async () => {
    const context = await started({ random: () => 0 });
    const { source, clock } = context;
    source.watchMode = 'fail-after-connect';
    source.endWatches(new Error('reset'));
    await clock.advanceAsync(15 * SECOND); // restarts at 1, 3, 7, 15 s
    expect(source.watchCalls).toBe(5);
    source.watchMode = 'normal';
    await clock.advanceAsync(16 * SECOND);
    expect(source.watchCalls).toBe(6);
    source.upsert('a', '1');
    source.endWatches(new Error('reset'));
    await clock.advanceAsync(SECOND);
    expect(source.watchCalls).toBe(7);
    stopAndCheck(context);
  });
});

describe('Informer: expired resourceVersion (410)', () => {
  for (const expiredAs of ['http', 'in-stream'] as const) {
    it(`relists when a restarted watch is told 410 (${expiredAs}) and sees what changed while disconnected`, async () => {
      const context = setup();
      const { source, informer, clock, events } = context;
      source.expiredAs = expiredAs;
      source.upsert('a', '1');
      source.upsert('b', '1');
      source.upsert('c', '1');
      informer.start();
      await clock.advanceAsync(0);

      source.endWatches(new Error('read ECONNRESET'));
      source.remove('ns/a');
      source.upsert('b', '2');
      source.upsert('d', '1');
      source.compact();
      events.length = 0;
      await clock.advanceAsync(10 * SECOND);

      expect(source.calls.filter((call) => call === 'list')).toHaveLength(2);
      // c is unchanged: no update for it.
      expect(events).toEqual(['add ns/d=1', 'update ns/b 1->2', 'delete ns/a']);
      expect(source.calls.at(-1)).toBe(`watch#3 from ${FakeListWatchSource.resourceVersion(6)}`);
      stopAndCheck(context);
    });
  }

  it('relists when a live watch receives an in-stream ERROR 410, without update events for unchanged objects', async () => {
    const context = await started();
    const { source, clock, events } = context;
    source.upsert('a', '1');
    source.sendError(GONE);
    await clock.advanceAsync(5 * SECOND);
    expect(source.listCalls).toBe(2);
    expect(events).toEqual(['add ns/a=1']);
    stopAndCheck(context);
  });

  it('does not relist for an in-stream ERROR that is not 410', async () => {
    const context = await started();
    const { source, clock } = context;
    source.sendError({ kind: 'Status', code: 500 });
    await clock.advanceAsync(5 * SECOND);
    expect(source.listCalls).toBe(1);
    expect(source.watchCalls).toBe(2);
    stopAndCheck(context);
  });
});

describe('Informer: watchdog', () => {
  it('aborts a silent watch and relists after stallTimeoutMs without any event or bookmark', async () => {
    const context = await started({ stallTimeoutMs: 5 * MINUTE });
    const { source, clock, events } = context;
    source.silenceWatches();
    source.upsert('a', '1');
    await clock.advanceAsync(5 * MINUTE - 1);
    expect(source.listCalls).toBe(1);
    await clock.advanceAsync(1);
    expect(source.listCalls).toBe(2);
    expect(source.calls.slice(0, 4)).toEqual([
      'list',
      `watch#1 from ${FakeListWatchSource.resourceVersion(0)}`,
      'abort#1',
      'list',
    ]);
    expect(events).toEqual(['add ns/a=1']);
    stopAndCheck(context);
  });

  it('counts from the last event, and bookmarks keep a quiet watch alive', async () => {
    const context = await started({ stallTimeoutMs: 5 * MINUTE });
    const { source, clock } = context;
    await clock.advanceAsync(3 * MINUTE);
    source.upsert('a', '1');
    await clock.advanceAsync(4 * MINUTE);
    for (let i = 0; i < 5; i++) {
      source.bookmark();
      await clock.advanceAsync(4 * MINUTE);
    }
    expect(source.listCalls).toBe(1);
    expect(source.watchCalls).toBe(1);
    await clock.advanceAsync(MINUTE);
    expect(source.listCalls).toBe(2);
    stopAndCheck(context);
  });

  it('keeps relisting a server whose watches stay silent, once per stall period', async () => {
    const context = await started({ stallTimeoutMs: 5 * MINUTE, relistIntervalMs: 10 * 60 * MINUTE });
    const { source, clock } = context;
    source.watchMode = 'silent';
    source.silenceWatches();
    await clock.advanceAsync(30 * MINUTE);
    expect(source.listCalls).toBe(7);
    stopAndCheck(context);
  });
});

describe('Informer: periodic relist', () => {
  it('relists every relistIntervalMs (jittered down by at most 20%) and repairs missed events', async () => {
    const context = await started({ relistIntervalMs: 30 * MINUTE, stallTimeoutMs: 24 * 60 * MINUTE });
    const { source, clock, events } = context;
    source.upsert('a', '1');
    source.upsert('b', '1');
    source.silenceWatches();
    source.upsert('a', '2'); // lost on the way
    events.length = 0;
    await clock.advanceAsync(24 * MINUTE - 1);
    expect(source.listCalls).toBe(1);
    await clock.advanceAsync(6 * MINUTE + 1);
    expect(source.listCalls).toBe(2);
    expect(events).toEqual(['update ns/a 1->2']);
    await clock.advanceAsync(30 * MINUTE);
    expect(source.listCalls).toBe(3);
    expect(events).toEqual(['update ns/a 1->2']);
    stopAndCheck(context);
  });
});

describe('Informer: stop', () => {
  it('ignores everything the source says after stop', async () => {
    const context = await started();
    const { source, informer, clock, events } = context;
    informer.stop();
    expect(clock.pendingTimers()).toBe(0);
    expect(source.activeWatches()).toBe(0);
    source.upsert('a', '1');
    await clock.advanceAsync(60 * MINUTE);
    expect(events).toEqual([]);
    expect(source.listCalls).toBe(1);
  });

  it('cancels a pending restart', async () => {
    const context = await started();
    const { source, informer, clock } = context;
    source.endWatches(new Error('reset'));
    expect(clock.pendingTimers()).toBe(2);
    informer.stop();
    expect(clock.pendingTimers()).toBe(0);
    await clock.advanceAsync(MINUTE);
    expect(source.watchCalls).toBe(1);
  });

  it('drops a list that returns after stop, and rejects sync waiters', async () => {
    const { source, informer, clock } = setup();
    const synced = informer.waitForSync();
    informer.start();
    informer.stop();
    await expect(synced).rejects.toThrow(/stopped before it synced/);
    await clock.advanceAsync(MINUTE);
    expect(source.listCalls).toBe(1);
    expect(source.watchCalls).toBe(0);
    expect(informer.hasSynced()).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('waitForSync rejects when its signal aborts', async () => {
    const { informer } = setup();
    const abort = new AbortController();
    const synced = informer.waitForSync(abort.signal);
    abort.abort(new Error('shutting down'));
    await expect(synced).rejects.toThrow('shutting down');
  });
});

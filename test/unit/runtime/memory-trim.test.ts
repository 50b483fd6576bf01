import { execFileSync } from 'node:child_process';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { type ExposedGc, MemoryTrimmer } from '../../../src/runtime/memory-trim.js';
import { OPERATOR_NODE_OPTIONS } from '../../../src/runtime/node-options.js';
import { FakeClock } from '../../support/fake-clock.js';

const MB = 1024 * 1024;

function setup(options: { gc?: boolean } = {}) {
  const clock = new FakeClock();
  const state = { rss: 100 * MB, heapTotal: 40 * MB, backlog: 0, collections: 0 };
  const gc: ExposedGc = (flavor) => {
    expect(flavor).toEqual({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    state.collections++;
    state.rss = Math.min(state.rss, 110 * MB);
  };
  const trimmer = new MemoryTrimmer({
    gc: options.gc === false ? undefined : gc,
    backlog: () => state.backlog,
    clock,
    logger: pino({ level: 'silent' }),
    memory: () => ({ rss: state.rss, heapTotal: state.heapTotal }),
    checkEveryMs: 10_000,
    growthBytes: 16 * MB,
  });
  return { clock, state, trimmer };
}

describe('MemoryTrimmer', () => {
  it('collects once RSS has grown past the threshold and no work waits for a worker', () => {
    const { clock, state, trimmer } = setup();
    trimmer.start();
    state.rss = 115 * MB;
    clock.advance(10_000);
    expect(state.collections).toBe(0);
    state.rss = 180 * MB;
    state.backlog = 3;
    clock.advance(30_000);
    expect(state.collections).toBe(0);
    state.backlog = 0;
    clock.advance(10_000);
    expect(state.collections).toBe(1);
    expect(state.rss).toBe(110 * MB);
  });

  it('does not collect again until RSS grows past the threshold from where the last one left it', () => {
    const { clock, state, trimmer } = setup();
    trimmer.start();
    state.rss = 180 * MB;
    clock.advance(10_000);
    state.rss = 125 * MB;
    clock.advance(60_000);
    expect(state.collections).toBe(1);
    state.rss = 127 * MB;
    clock.advance(10_000);
    expect(state.collections).toBe(2);
  });

  it('leaves a heap that holds more alone: only resident memory beyond it counts', () => {
    const { clock, state, trimmer } = setup();
    trimmer.start();
    state.heapTotal = 140 * MB;
    state.rss = 200 * MB;
    clock.advance(60_000);
    expect(state.collections).toBe(0);
    state.rss = 217 * MB;
    clock.advance(10_000);
    expect(state.collections).toBe(1);
  });

  it('stops checking when stopped', () => {
    const { clock, state, trimmer } = setup();
    trimmer.start();
    trimmer.stop();
    state.rss = 500 * MB;
    clock.advance(60_000);
    expect(state.collections).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('does nothing, and sets no timer, when gc() is not exposed', () => {
    const { clock, state, trimmer } = setup({ gc: false });
    trimmer.start();
    state.rss = 500 * MB;
    expect(trimmer.check()).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("returns V8's pooled pages on this Node, started with the operator's options", () => {
    // Half a million parsed objects dropped and collected: RSS stays up until the last-resort collection.
    const script = `
      const rss = () => process.memoryUsage.rss();
      let kept = [];
      const text = JSON.stringify({ metadata: { name: 'n'.repeat(30) }, status: { message: 'm'.repeat(60) } });
      for (let i = 0; i < 500000; i++) kept.push(JSON.parse(text));
      kept = null;
      gc();
      const afterGc = rss();
      gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
      console.log(JSON.stringify({ afterGc, afterTrim: rss() }));`;
    const out = execFileSync(process.execPath, [...OPERATOR_NODE_OPTIONS, '-e', script], {
      encoding: 'utf8',
    });
    const { afterGc, afterTrim } = JSON.parse(out) as { afterGc: number; afterTrim: number };
    expect(afterGc - afterTrim).toBeGreaterThan(40 * MB);
  });
});

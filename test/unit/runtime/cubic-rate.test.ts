import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CubicRate } from '../../../src/runtime/cubic-rate.js';

/** Answers every `everyMs` after `from` up to `to`; `throttled(i)` says which. Returns the last time. */
function answer(
  rate: CubicRate,
  from: number,
  to: number,
  everyMs: number,
  throttled: (i: number) => boolean = () => false,
): number {
  let last = from;
  for (let at = from + everyMs, i = 0; at <= to; at += everyMs, i++) {
    rate.record(at, throttled(i));
    last = at;
  }
  return last;
}

const always = () => true;

describe('CubicRate', () => {
  it('runs at the ceiling while nothing is throttled', () => {
    const rate = new CubicRate({ ceiling: 10 });
    answer(rate, 0, 5000, 100);
    expect(rate.current()).toBe(10);
    expect(rate.isReduced()).toBe(false);
  });

  it('started below its ceiling, climbs to the ceiling within 3 s while nothing is throttled', () => {
    const rate = new CubicRate({ ceiling: 200, start: 10 });
    expect(rate.current()).toBe(10);
    expect(rate.isReduced()).toBe(true);
    // A cubic curve of the ceiling's scale from its start: 10 + 8 t³ calls/s, t seconds after the first answer.
    rate.record(0, false);
    answer(rate, 0, 1000, 10);
    expect(rate.current()).toBeCloseTo(18, 6);
    answer(rate, 1000, 2500, 10);
    expect(rate.current()).toBeCloseTo(10 + 8 * 2.5 ** 3, 6);
    expect(rate.isReduced()).toBe(true);
    answer(rate, 2500, 2900, 10);
    expect(rate.current()).toBe(200);
    expect(rate.isReduced()).toBe(false);
  });

  it.each([
    [20, 1],
    [400, 20],
    [10_000, 500],
  ])('climbs from its start to a ceiling of %d in the same 3 s', (ceiling, start) => {
    const rate = new CubicRate({ ceiling, start });
    rate.record(0, false);
    answer(rate, 0, 2500, 10);
    expect(rate.current()).toBeLessThan(ceiling);
    answer(rate, 2500, 3000, 10);
    expect(rate.current()).toBe(ceiling);
  });

  /**
   * A client sending at the allowed rate to a token-bucket server (`allow` calls/s, `burst`), each
   * answer coming back `latencyMs` after its call. Returns the throttled answers in the first 10 s
   * and the mean rate from 15 s to 30 s.
   */
  function againstServer(rate: CubicRate, allow: number, burst: number, latencyMs: number) {
    const inFlight: { at: number; throttled: boolean }[] = [];
    let tokens = burst;
    let last = 0;
    let throttledEarly = 0;
    const later: number[] = [];
    for (let at = 0; at < 30_000; at += 1000 / rate.current()) {
      while (inFlight.length > 0 && (inFlight[0]?.at ?? Infinity) <= at) {
        const answer = inFlight.shift();
        if (answer) rate.record(answer.at, answer.throttled);
      }
      tokens = Math.min(burst, tokens + ((at - last) / 1000) * allow);
      last = at;
      const throttled = tokens < 1;
      if (throttled && at < 10_000) throttledEarly++;
      if (!throttled) tokens -= 1;
      inFlight.push({ at: at + latencyMs, throttled });
      if (at >= 15_000) later.push(rate.current());
    }
    return { throttledEarly, mean: later.reduce((a, b) => a + b, 0) / later.length };
  }

  it.each([
    // ceiling, start, the server's rate and burst, answer latency; most throttled answers in 10 s
    [400, 20, 100, 40, 200, 200],
    [200, 10, 15, 20, 200, 75],
    [200, 10, 40, 20, 50, 75],
  ])(
    'climbing from %d / %d against a server allowing %d/s (burst %d, answers after %d ms): few throttled answers, then near its rate',
    (ceiling, start, allow, burst, latencyMs, most) => {
      const { throttledEarly, mean } = againstServer(
        new CubicRate({ ceiling, start }),
        allow,
        burst,
        latencyMs,
      );
      expect(throttledEarly).toBeLessThanOrEqual(most);
      expect(mean).toBeGreaterThan(allow * 0.8);
      expect(mean).toBeLessThan(allow * 1.2);
    },
  );

  it('throttled at its very first answer, cuts only by the share of answers throttled', () => {
    const rate = new CubicRate({ ceiling: 200, start: 10 });
    rate.record(0, true);
    expect(rate.current()).toBeCloseTo(9.5, 9);
  });

  it('once throttled, climbs back at the scale of the rate it was cut from, not the ceiling', () => {
    const rate = new CubicRate({ ceiling: 200, start: 10 });
    rate.record(0, false);
    answer(rate, 0, 1000, 10);
    rate.record(1005, true);
    const cut = rate.current();
    expect(cut).toBeLessThan(18);
    // 3 s after the cut it is still far below the ceiling, which the first climb reached by then.
    answer(rate, 1005, 4000, 10);
    expect(rate.current()).toBeLessThan(40);
  });

  it('started below its ceiling, settles near the rate a server allows and probes no higher for long', () => {
    const rate = new CubicRate({ ceiling: 200, start: 10 });
    // A server allowing 40 calls/s: an answer is throttled while the rate is above it.
    let throttled = 0;
    let at = 0;
    const rates: number[] = [];
    for (; at < 60_000; at += 10) {
      const refused = rate.current() > 40;
      if (refused) throttled++;
      rate.record(at, refused);
      if (at >= 30_000) rates.push(rate.current());
    }
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    expect(mean).toBeGreaterThan(40 * 0.8);
    expect(Math.max(...rates)).toBeLessThan(40 * 1.5);
    expect(throttled / 6000).toBeLessThan(0.2);
  });

  it('cuts by the share of recent answers that were throttled: one in many costs 5%', () => {
    const rate = new CubicRate({ ceiling: 10 });
    answer(rate, 0, 2000, 100);
    rate.record(2050, true);
    // The moving share of throttled answers weighs each answer 0.05.
    expect(rate.current()).toBeCloseTo(10 * 0.95, 9);
    expect(rate.isReduced()).toBe(true);
  });

  it('cuts 30% (β) at most, in quick succession while most answers are throttled', () => {
    const rate = new CubicRate({ ceiling: 100, floor: 0.5 });
    const cuts: { at: number; from: number; to: number }[] = [];
    for (let at = 10; at <= 3000; at += 10) {
      const from = rate.current();
      rate.record(at, true);
      if (rate.current() < from) cuts.push({ at, from, to: rate.current() });
    }
    for (const cut of cuts) expect(cut.to).toBeGreaterThanOrEqual(0.7 * cut.from - 1e-9);
    // Deeper as the share grows, until each cut takes the full 30%, a few hundred ms after the last.
    const full = cuts.filter((cut) => cut.to > 0.5 && Math.abs(cut.to / cut.from - 0.7) < 1e-9);
    expect(full.length).toBeGreaterThan(3);
    expect((full[1]?.at ?? 0) - (full[0]?.at ?? 0)).toBeLessThan(400);
    expect(cuts[0]?.to).toBeCloseTo(95, 9);
    expect(rate.current()).toBe(0.5);
  });

  it('spaces cuts by the hold period while few answers are throttled', () => {
    const rate = new CubicRate({ ceiling: 10, holdMs: 1000 });
    answer(rate, 0, 2000, 100);
    rate.record(2050, true);
    const cut = rate.current();
    // The share of answers not throttled is about 0.95 (then 0.9): the next cut waits 900+ ms.
    rate.record(2100, true);
    rate.record(2900, true);
    expect(rate.current()).toBe(cut);
    rate.record(3100, true);
    expect(rate.current()).toBeLessThan(cut);
  });

  it('grows back along the cubic curve C·(t − K)³ + the rate it was cut from, then runs at the ceiling', () => {
    const rate = new CubicRate({ ceiling: 20 });
    // Throttled answers every 10 ms until the rate has been cut twice.
    let before = rate.current();
    let cutFrom = before;
    let cutAt = 0;
    let cuts = 0;
    for (let at = 0; cuts < 2; at += 10) {
      rate.record(at, true);
      if (rate.current() < before) {
        cuts += 1;
        cutFrom = before;
        cutAt = at;
      }
      before = rate.current();
    }
    const cutTo = rate.current();
    const scale = 0.04 * 20;
    const k = Math.cbrt((cutFrom - cutTo) / scale);
    const curve = (ms: number) => Math.min(20, scale * ((ms - cutAt) / 1000 - k) ** 3 + cutFrom);
    for (const after of [100, 500, 1000, 1500, 2000, 2500, 3000]) {
      rate.record(cutAt + after, false);
      expect(rate.current()).toBeCloseTo(curve(cutAt + after), 9);
    }
    // Steep at first, flat around the plateau.
    expect(curve(cutAt + 500) - curve(cutAt + 100)).toBeGreaterThan(
      curve(cutAt + 1000 * k + 200) - curve(cutAt + 1000 * k - 200),
    );
    rate.record(cutAt + 10_000, false);
    expect(rate.current()).toBe(20);
    expect(rate.isReduced()).toBe(false);
  });

  it('regains its cuts in the same time at any ceiling', () => {
    const recoveryMs = (ceiling: number) => {
      const rate = new CubicRate({ ceiling });
      // The same answers at the same times: 300 ms of throttling cuts to the same fraction.
      const cutAt = answer(rate, 0, 300, 10, always);
      expect(rate.current() / ceiling).toBeLessThan(0.8);
      let at = cutAt;
      while (rate.isReduced()) {
        at += 10;
        rate.record(at, false);
      }
      return at - cutAt;
    };
    expect(recoveryMs(10)).toBe(recoveryMs(100));
    expect(recoveryMs(10)).toBeGreaterThan(1000);
    expect(recoveryMs(10)).toBeLessThan(4000);
  });

  it('stays within [floor, ceiling] whatever the answers', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 500, noNaN: true }),
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.boolean()), { maxLength: 300 }),
        (ceiling, floor, answers) => {
          const rate = new CubicRate({ ceiling, floor });
          let at = 0;
          for (const [gap, throttled] of answers) {
            at += gap;
            rate.record(at, throttled);
            expect(rate.current()).toBeLessThanOrEqual(ceiling);
            expect(rate.current()).toBeGreaterThanOrEqual(Math.min(floor, ceiling));
          }
        },
      ),
    );
  });

  it('falls to its floor and no lower when everything is throttled', () => {
    const rate = new CubicRate({ ceiling: 10, floor: 1 });
    answer(rate, 0, 60_000, 100, always);
    expect(rate.current()).toBe(1);
  });

  it('refuses settings that make no sense', () => {
    expect(() => new CubicRate({ ceiling: 0 })).toThrow(/ceiling/);
    expect(() => new CubicRate({ ceiling: 1, floor: 0 })).toThrow(/floor/);
    expect(() => new CubicRate({ ceiling: 1, beta: 1 })).toThrow(/beta/);
  });
});

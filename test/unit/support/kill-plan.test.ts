import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { killPlan } from '../../support/kill-plan.js';
import { seededRandom, seedFromEnv } from '../../support/seeded-random.js';

describe('seededRandom', () => {
  it('replays the same sequence from the same seed, and another from another', () => {
    const take = (seed: number) => Array.from({ length: 5 }, seededRandom(seed).next);
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
  });

  it('stays in range and shuffles without losing items', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (seed) => {
        const random = seededRandom(seed);
        const value = random.next();
        const int = random.int(3, 5);
        const shuffled = random.shuffle([1, 2, 3, 4, 5]);
        return value >= 0 && value < 1 && int >= 3 && int <= 5 && [...shuffled].sort().join() === '1,2,3,4,5';
      }),
    );
  });

  it('takes a replayed seed from the environment and refuses one that is not a 32-bit integer', () => {
    expect(seedFromEnv('SEED', { SEED: '1187969431' })).toBe(1187969431);
    expect(seedFromEnv('SEED', { SEED: '0x10' })).toBe(16);
    expect(Number.isInteger(seedFromEnv('SEED', {}))).toBe(true);
    expect(() => seedFromEnv('SEED', { SEED: 'abc' })).toThrow('SEED must be an integer');
    expect(() => seedFromEnv('SEED', { SEED: '4294967296' })).toThrow('SEED must be an integer');
  });
});

describe('killPlan', () => {
  it('puts one mark in each slice of the first 90% of the writes, at least minGap apart', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 1, max: 5 }), (seed, kills) => {
        const plan = killPlan(seededRandom(seed), { kills, writes: 300, minGap: 25, maxDelayMs: 500 });
        expect(plan).toHaveLength(kills);
        plan.forEach((mark, i) => {
          expect(mark.afterWrites).toBeGreaterThanOrEqual(1);
          expect(mark.afterWrites).toBeLessThanOrEqual(270);
          expect(mark.delayMs).toBeGreaterThanOrEqual(0);
          expect(mark.delayMs).toBeLessThanOrEqual(500);
          const previous = plan[i - 1];
          if (previous) expect(mark.afterWrites - previous.afterWrites).toBeGreaterThan(25);
        });
      }),
    );
  });

  it('refuses more kills than fit', () => {
    expect(() => killPlan(seededRandom(1), { kills: 10, writes: 100, minGap: 25, maxDelayMs: 0 })).toThrow(
      'do not fit',
    );
  });
});

/** When a crash test kills its process: seeded marks spread over a phase's expected cloud writes. */
import type { SeededRandom } from './seeded-random.js';

export interface KillMark {
  /** Kill once this many cloud writes of the phase have been sent. */
  afterWrites: number;
  /** Then wait this long first (0: at the very request, before the cloud has answered it). */
  delayMs: number;
}

export interface KillPlanOptions {
  kills: number;
  /** The phase's expected cloud writes; marks fall in its first 90%, so each one is reached. */
  writes: number;
  /** Writes between two marks at least (a restarted process gets to work before the next kill). */
  minGap: number;
  maxDelayMs: number;
}

/**
 * One mark in each of `kills` equal slices of the first 90% of the writes, so the kills spread
 * over the phase; a quarter of them (on average) land on the request itself.
 */
export function killPlan(random: SeededRandom, options: KillPlanOptions): KillMark[] {
  const slot = Math.floor((0.9 * options.writes) / options.kills);
  if (slot <= options.minGap) {
    throw new Error(
      `${options.kills} kills ${options.minGap} writes apart do not fit in 90% of ${options.writes} writes`,
    );
  }
  return Array.from({ length: options.kills }, (_, i) => ({
    afterWrites: i * slot + random.int(1, slot - options.minGap),
    delayMs: random.next() < 0.25 ? 0 : random.int(1, options.maxDelayMs),
  }));
}

/**
 * How fast a client may call a server that throttles, after the AWS SDK's adaptive retry mode
 * (`DefaultRateLimiter`, CUBIC as in TCP): a throttled answer cuts the rate, and answers that are
 * not throttled grow it back along a cubic curve (fast at first, flat near the rate that was
 * throttled, then probing above it), here up to a configured ceiling.
 *
 * Where it departs from the SDK, because a limiter here is shared by every caller of an account
 * and runs below a ceiling the user configured:
 * - The cut is as deep as the share of recent answers that were throttled, and at most the SDK's
 *   30% (β = 0.7): a server refusing 5% of calls gets a 5% cut. The SDK cuts 30% on every
 *   throttled answer, which holds a client whose server refuses a steady few percent of calls
 *   (for other clients of the same quota, say) at half its rate or less.
 * - Cuts are spaced: after one, the next may come after `holdMs` × the share of answers that were
 *   not throttled, so a server refusing most calls is followed within a fraction of a second and
 *   one refusing a few is not cut again for every answer sent before the cut.
 * - The cut is taken from the rate allowed, not from a measured sending rate: the SDK's
 *   measurement is 0 or tiny while few calls have been made (at start, after an idle spell), and a
 *   throttled answer then drops it to its floor.
 * - The curve's scale grows with the ceiling, so a cut is regained in the same time at any ceiling
 *   (a 30% cut in about 2 s); the SDK's 0.4 is this scale at 10 calls/s.
 * - It may start below the ceiling (`start`): the first answers then probe upwards as if the rate
 *   had just been cut to `start`, so a server that never throttles is not held at a guessed rate
 *   and one that does is found near the rate it allows. Until the first throttled answer the curve
 *   has the ceiling's scale, so it reaches the ceiling within 3 s (cbrt(25 × (1 − start/ceiling))
 *   s) at any ceiling; at the start's scale a 20× climb took 8 s, longer than many a converge.
 *   Climbing that fast, it has gone well past the server's rate by the time the first throttled
 *   answer comes back, so that first cut is by β from where the curve was half a second before.
 * Once the curve reaches the ceiling, the rate is the ceiling again until the next throttled answer.
 */

export interface CubicRateOptions {
  /** The highest rate, in calls per second: the configured limit, never exceeded. */
  ceiling: number;
  /**
   * The rate before any answer, in calls per second. Default the ceiling; below it, answers that
   * are not throttled grow the rate towards the ceiling (see the class comment).
   */
  start?: number;
  /** The lowest rate, in calls per second. Default 0.5 (the SDK's), or the ceiling if lower. */
  floor?: number;
  /** The deepest cut, as the fraction of the rate kept. Default 0.7 (the SDK's β). */
  beta?: number;
  /** The longest spacing of two cuts, in ms. Default 1,000. */
  holdMs?: number;
}

/** The SDK's scale constant (calls/s per s³) at a ceiling of 10 calls/s. */
const SCALE_PER_CALL_PER_SECOND = 0.4 / 10;
/** Weight of each answer in the share of throttled answers (about the last 20 answers). */
const SHARE_WEIGHT = 0.05;
/** Cuts are never closer together than this fraction of the hold period. */
const MIN_HOLD_FRACTION = 0.1;
/** How far back the first cut of the climb from the start looks: about a throttled call's round trip. */
const PROBE_LOOKBACK_MS = 500;

export class CubicRate {
  readonly ceiling: number;
  readonly floor: number;
  private readonly beta: number;
  private readonly holdMs: number;
  /** The curve's scale (calls/s per s³) is this rate's, or the last cut rate's when higher. */
  private readonly scaleBase: number;
  /** Started below the ceiling and not throttled yet: the climb has the ceiling's scale. */
  private probingFromStart: boolean;
  private rate: number;
  /** Between a cut and the moment the curve reaches the ceiling again. */
  private recovering = false;
  /** The rate when last cut: the curve's plateau. */
  private lastMaxRate = 0;
  private lastCutAt = Number.NEGATIVE_INFINITY;
  /** Seconds from the cut to the plateau. */
  private timeToPlateau = 0;
  /** Of recent answers, the share that were throttled (a moving average). */
  private throttledShare = 0;

  constructor(options: CubicRateOptions) {
    if (!(options.ceiling > 0)) throw new Error(`rate ceiling must be > 0, got ${options.ceiling}`);
    this.ceiling = options.ceiling;
    this.floor = Math.min(options.floor ?? 0.5, options.ceiling);
    if (!(this.floor > 0)) throw new Error(`rate floor must be > 0, got ${options.floor}`);
    this.beta = options.beta ?? 0.7;
    if (!(this.beta > 0 && this.beta < 1)) throw new Error(`beta must lie in (0, 1), got ${this.beta}`);
    this.holdMs = options.holdMs ?? 1_000;
    const start = this.bounded(options.start ?? options.ceiling);
    this.scaleBase = start;
    this.rate = start;
    // Probing from the start rate: a curve whose plateau is the start, begun by the first answer.
    this.recovering = start < this.ceiling;
    this.probingFromStart = this.recovering;
    this.lastMaxRate = start;
  }

  private get scale(): number {
    if (this.probingFromStart) return SCALE_PER_CALL_PER_SECOND * this.ceiling;
    return SCALE_PER_CALL_PER_SECOND * Math.max(this.scaleBase, this.lastMaxRate);
  }

  /** Calls per second allowed now. */
  current(): number {
    return this.rate;
  }

  /** True while the rate is below the ceiling: after throttling, or while probing up from the start. */
  isReduced(): boolean {
    return this.recovering;
  }

  /** One answer from the server (any outcome) at `now` (ms); `throttled` if it refused the call for its rate. */
  record(now: number, throttled: boolean): void {
    this.throttledShare += ((throttled ? 1 : 0) - this.throttledShare) * SHARE_WEIGHT;
    if (throttled) {
      const spacing = this.holdMs * Math.max(MIN_HOLD_FRACTION, 1 - this.throttledShare);
      if (now - this.lastCutAt >= spacing) this.cut(now);
    } else if (this.recovering) {
      if (this.lastCutAt === Number.NEGATIVE_INFINITY) this.lastCutAt = now;
      this.grow(now);
    }
  }

  private cut(now: number): void {
    // Throttled before any answer that was not, the climb has not begun: an ordinary cut.
    if (this.probingFromStart && this.lastCutAt !== Number.NEGATIVE_INFINITY) {
      this.cutClimbFromStart(now);
      return;
    }
    this.probingFromStart = false;
    const keep = Math.max(this.beta, 1 - this.throttledShare);
    this.lastMaxRate = this.rate;
    this.timeToPlateau = Math.cbrt((this.rate * (1 - keep)) / this.scale);
    this.lastCutAt = now;
    this.recovering = true;
    this.rate = this.bounded(this.rate * keep);
  }

  /**
   * The first throttled answer of the climb from the start speaks of a rate sent up to a round trip
   * ago, and at the ceiling's scale the curve has climbed steeply since: the cut is by β from where
   * the curve was PROBE_LOOKBACK_MS earlier, and the climb back has that rate's scale.
   */
  private cutClimbFromStart(now: number): void {
    const t = Math.max(0, (now - this.lastCutAt - PROBE_LOOKBACK_MS) / 1000);
    const earlier = this.bounded(this.scale * t ** 3 + this.lastMaxRate);
    this.probingFromStart = false;
    this.lastMaxRate = earlier;
    this.timeToPlateau = Math.cbrt((earlier * (1 - this.beta)) / this.scale);
    this.lastCutAt = now;
    this.recovering = true;
    this.rate = this.bounded(earlier * this.beta);
  }

  private grow(now: number): void {
    const t = (now - this.lastCutAt) / 1000;
    const curve = this.scale * (t - this.timeToPlateau) ** 3 + this.lastMaxRate;
    if (curve >= this.ceiling) {
      this.recovering = false;
      this.rate = this.ceiling;
    } else {
      this.rate = this.bounded(curve);
    }
  }

  private bounded(rate: number): number {
    return Math.min(this.ceiling, Math.max(this.floor, rate));
  }
}

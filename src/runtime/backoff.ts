/** `baseMs * 2^attempt`, capped at `maxMs` (and safe for any attempt count). */
export function exponentialDelay(attempt: number, baseMs: number, maxMs: number): number {
  if (attempt >= 52) return maxMs;
  return Math.min(maxMs, baseMs * 2 ** attempt);
}

/**
 * A random delay in [ms * (1 - spread), ms]. Spreading restarts keeps many clients that failed
 * together (one API server restart) from reconnecting together.
 */
export function jitter(ms: number, random: () => number = Math.random, spread = 0.5): number {
  return ms * (1 - spread * random());
}

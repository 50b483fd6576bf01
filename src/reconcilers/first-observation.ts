import type { Condition, KubeObject } from '../api/index.js';
import { isTrue } from './conditions.js';

export type Observable = KubeObject & {
  status?: { observedGeneration?: number; conditions?: Condition[]; expiresAt?: string };
};

/**
 * When an object the operator has just learned of (every object, right after a start) should be
 * reconciled. New, changed, failing or deleting objects: at once. Objects already converged at
 * their generation: at a random moment within their resync interval, so a restart does not re-read
 * the whole cloud in one burst and later re-observations stay spread out. A temporary grant is
 * never delayed past its end.
 */
export function firstObservationDelay(
  object: Observable,
  intervalMs: number,
  now: number,
  random: () => number,
): number {
  const converged =
    !object.metadata.deletionTimestamp &&
    object.status?.observedGeneration === object.metadata.generation &&
    isTrue(object.status?.conditions, 'Ready');
  if (!converged) return 0;
  const untilExpiry = object.status?.expiresAt
    ? Date.parse(object.status.expiresAt) - now
    : Number.POSITIVE_INFINITY;
  return Math.max(0, Math.min(random() * intervalMs, untilExpiry));
}

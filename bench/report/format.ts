import type { ConvergePoint } from '../results.js';

/** Writes per WorkloadIdentity + IdentityBinding pair; a handful in all (the CloudAccount) as a count. */
export function perPair(writes: Record<string, number>, pairs: number): string {
  return Object.entries(writes)
    .sort((a, b) => b[1] - a[1])
    .map(
      ([what, count]) => `${what} ${count >= pairs / 10 ? (count / pairs).toFixed(2) : `(${count} in all)`}`,
    )
    .join(', ');
}

/** PATCHes of the Keyless objects themselves (finalizers) and of their status: what the issue expects. */
export function statusAndFinalizerWrites(writes: Record<string, number>): number {
  return Object.entries(writes)
    .filter(([what]) => /^PATCH (workloadidentities|identitybindings)(\/status)?$/.test(what))
    .reduce((sum, [, count]) => sum + count, 0);
}

/** Status and finalizer writes per object (2N objects), from the API server's counts. */
export function statusAndFinalizerPerObject(point: ConvergePoint): number {
  return Math.round((statusAndFinalizerWrites(point.operator.apiServerWrites) / point.objects) * 100) / 100;
}

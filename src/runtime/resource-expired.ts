import type { KubeStatus } from './kube-object.js';

const GONE = 410;

/**
 * True for the API server's "resourceVersion too old" answer, whichever way it arrives: an HTTP 410
 * response (client-node's `statusCode`, an ApiException's `code`, or an error's Status `body`) or a
 * Status object from an in-stream `ERROR` event. Either way the only cure is a fresh list.
 */
export function isResourceExpired(errOrStatus: unknown): boolean {
  if (typeof errOrStatus !== 'object' || errOrStatus === null) return false;
  const candidate = errOrStatus as { statusCode?: unknown; code?: unknown; body?: unknown };
  if (candidate.statusCode === GONE || candidate.code === GONE) return true;
  const body = candidate.body as KubeStatus | undefined;
  return typeof body === 'object' && body !== null && body.code === GONE;
}

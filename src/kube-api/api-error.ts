import http from 'node:http';
import type { KubeStatus } from '../runtime/kube-object.js';

/** An error carrying the HTTP status (and the Status body, when the server sent one). */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';

  constructor(
    message: string,
    readonly statusCode: number,
    readonly body?: KubeStatus,
  ) {
    super(message);
  }
}

/** Builds the error for a non-2xx answer, keeping the Status the server explained it with. */
export function apiErrorFromResponse(
  method: string,
  url: string,
  statusCode: number,
  body: string,
): KubeApiError {
  let status: KubeStatus | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) status = parsed as KubeStatus;
  } catch {
    status = undefined;
  }
  const reason = status?.message ?? (body.slice(0, 200) || http.STATUS_CODES[statusCode]);
  return new KubeApiError(`${method} ${url}: HTTP ${statusCode}: ${reason}`, statusCode, status);
}

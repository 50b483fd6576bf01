import { API_PREFIX } from '../api-types.js';

const TOKEN_KEY = 'keyless.token';

/** The bearer token the user signed in with, kept for this browser tab only. */
export const token = {
  get: (): string | undefined => sessionStorage.getItem(TOKEN_KEY) ?? undefined,
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

function headers(): HeadersInit {
  const bearer = token.get();
  return bearer
    ? { Authorization: `Bearer ${bearer}`, Accept: 'application/json' }
    : { Accept: 'application/json' };
}

/** GET a path under /api/v1 (given with the prefix, as the API's own links are). */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path.startsWith(API_PREFIX) ? path : `${API_PREFIX}${path}`, {
    headers: headers(),
    ...(signal ? { signal } : {}),
  });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    throw new ApiError(body.error ?? `${response.status} ${response.statusText}`, response.status);
  }
  return (await response.json()) as T;
}

export type StreamState = 'connecting' | 'live' | 'offline';

/**
 * Follows /api/v1/watch (Server-Sent Events), read with fetch so the bearer token goes in a header:
 * calls `onRevision` on each change and reconnects after a drop (a second, doubling up to 30 s).
 * Returns a function that stops it.
 */
export function follow(
  onRevision: (revision: number) => void,
  onState: (state: StreamState) => void,
  onRefused: (error: ApiError) => void,
): () => void {
  const abort = new AbortController();
  let delay = 1000;
  const run = async () => {
    while (!abort.signal.aborted) {
      onState('connecting');
      try {
        const response = await fetch(`${API_PREFIX}/watch`, { headers: headers(), signal: abort.signal });
        if (response.status === 401 || response.status === 403) {
          const body = (await response.json().catch(() => ({}))) as { error?: string };
          // Stopped meanwhile (the page saw the refusal first): its word stands.
          if (abort.signal.aborted) return;
          onRefused(new ApiError(body.error ?? response.statusText, response.status));
          return;
        }
        if (!response.ok || !response.body) throw new Error(`${response.status}`);
        onState('live');
        delay = 1000;
        const refused = await readEvents(response.body, onRevision);
        if (refused) {
          onRefused(new ApiError('the token no longer passes its review', 401));
          return;
        }
      } catch {
        if (abort.signal.aborted) return;
      }
      onState('offline');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 30_000);
    }
  };
  run().catch(() => onState('offline'));
  return () => abort.abort();
}

/** Reads one event stream to its end; true when the server ended it as unauthorized. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  onRevision: (revision: number) => void,
): Promise<boolean> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return false;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event === 'unauthorized') return true;
      if (event === 'revision' && data) onRevision((JSON.parse(data) as { revision: number }).revision);
    }
  }
}

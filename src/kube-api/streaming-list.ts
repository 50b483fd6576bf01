import type { KubeObject, KubeStatus } from '../runtime/kube-object.js';
import type { ListResult } from '../runtime/list-watch-source.js';
import { KubeApiError } from './api-error.js';
import type { KubeConnection } from './connection.js';
import { openWatch, type WatchStream } from './watch.js';

/** The annotation of the bookmark that ends a streaming list's initial events. */
export const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

export interface StreamingListOptions {
  connection: KubeConnection;
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Transforms each object before it is kept. */
  keep: <T extends KubeObject>(obj: T) => T;
  /** Gives up when no event came for this long. */
  idleTimeoutMs: number;
  /** Asks the server to end the stream after this long. */
  timeoutSeconds: number;
  signal?: AbortSignal;
}

/** The query of a streaming list (openWatch adds `watch=true`): every object now, then the end bookmark. */
export function streamingListQuery(
  options: Pick<StreamingListOptions, 'labelSelector' | 'fieldSelector' | 'timeoutSeconds'>,
): Record<string, string | number | boolean> {
  return {
    sendInitialEvents: true,
    resourceVersionMatch: 'NotOlderThan',
    allowWatchBookmarks: true,
    timeoutSeconds: options.timeoutSeconds,
    ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
    ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
  };
}

/**
 * Why a streaming list was not served: `unsupported`, the server does not serve them (it refused
 * the query as invalid: the feature switched off; or it watched from now instead: a server older
 * than the feature); `busy`, not this time (429: its watch cache is still filling, as right after a
 * CRD is created).
 */
export type StreamingUnavailable = { unavailable: 'unsupported' | 'busy' };

function unavailableFor(err: unknown): StreamingUnavailable | undefined {
  if (!(err instanceof KubeApiError)) return undefined;
  if (err.statusCode === 400 || err.statusCode === 422) return { unavailable: 'unsupported' };
  if (err.statusCode === 429) return { unavailable: 'busy' };
  return undefined;
}

const UNSUPPORTED: StreamingUnavailable = { unavailable: 'unsupported' };

/**
 * Lists a collection as the API server's streaming list (a watch with `sendInitialEvents`: every
 * object as an ADDED event from its watch cache, then a bookmark annotated
 * `k8s.io/initial-events-end` naming the snapshot's resourceVersion). Unlike pages of a list, it
 * is served from the API server's watch cache rather than read from etcd page by page, and each
 * object is parsed on its own.
 *
 * Resolves StreamingUnavailable when the server did not serve it (a plain bookmark or a change
 * before the end bookmark says the server watched from now instead). Rejects when the stream fails
 * or ends before the end bookmark.
 */
export function streamList<T extends KubeObject>(
  options: StreamingListOptions,
): Promise<ListResult<T> | StreamingUnavailable> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    let stream: WatchStream | undefined;
    let settled = false;
    const finish = (settle: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      options.signal?.removeEventListener('abort', onAbort);
      stream?.abort();
      settle();
    };
    const fail = (message: string, cause?: unknown): void =>
      finish(() => reject(new Error(`streaming list ${options.path}: ${message}`, { cause })));
    const onAbort = (): void => finish(() => reject(options.signal?.reason));
    if (options.signal?.aborted) {
      reject(options.signal.reason);
      return;
    }
    // One timer for the whole stream, pushed back by each event (refresh allocates nothing).
    const idle = setTimeout(() => fail(`no event for ${options.idleTimeoutMs} ms`), options.idleTimeoutMs);
    idle.unref();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const onEvent = (type: string, object: unknown): void => {
      if (settled) return;
      idle.refresh();
      const obj = object as T;
      if (type === 'ADDED') {
        if (typeof obj?.metadata?.name === 'string') items.push(options.keep(obj));
        return;
      }
      if (type === 'BOOKMARK') {
        const metadata = obj?.metadata;
        if (metadata?.annotations?.[INITIAL_EVENTS_END] !== 'true') {
          finish(() => resolve(UNSUPPORTED));
          return;
        }
        const resourceVersion = metadata.resourceVersion;
        if (!resourceVersion) {
          fail('the end bookmark has no resourceVersion');
          return;
        }
        finish(() => resolve({ items, resourceVersion }));
        return;
      }
      if (type === 'ERROR') {
        const status = object as KubeStatus;
        fail(`the server ended it: ${status?.message ?? JSON.stringify(status)}`, status);
        return;
      }
      finish(() => resolve(UNSUPPORTED));
    };
    const onDone = (err?: unknown): void => {
      const unavailable = unavailableFor(err);
      if (unavailable) finish(() => resolve(unavailable));
      else fail(err ? 'the stream failed' : 'the stream ended before its end bookmark', err);
    };

    openWatch(options.connection, options.path, streamingListQuery(options), onEvent, onDone).then(
      (opened) => {
        stream = opened;
        if (settled) opened.abort();
      },
      (err: unknown) => fail('could not open it', err),
    );
  });
}

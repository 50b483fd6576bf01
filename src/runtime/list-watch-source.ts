import type { KubeObject, KubeStatus } from './kube-object.js';

export interface ListResult<T> {
  items: T[];
  /** The collection's resourceVersion: where a watch continues from. Opaque. */
  resourceVersion: string;
}

/**
 * One watch event. `BOOKMARK` carries only `metadata.resourceVersion`; `ERROR` carries a Status
 * (code 410 means the resourceVersion is too old and a fresh list is needed).
 */
export type WatchEvent<T> =
  | readonly [type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK', obj: T]
  | readonly [type: 'ERROR', status: KubeStatus];

export type WatchEventType = WatchEvent<unknown>[0];

export interface WatchHandle {
  abort(): void;
}

/** Where an informer gets its objects from: a Kubernetes API collection, or a fake in tests. */
export interface ListWatchSource<T extends KubeObject> {
  list(signal?: AbortSignal): Promise<ListResult<T>>;
  /**
   * Watches changes after `resourceVersion`, asking the server for bookmarks. `onEvent` is called in
   * stream order; `onDone` at most once when the stream ends, with the error if it failed (an HTTP
   * 410 as an error whose `statusCode` is 410). `onDone` may be called before the promise settles.
   */
  watch(
    resourceVersion: string,
    onEvent: (...event: WatchEvent<T>) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle>;
}

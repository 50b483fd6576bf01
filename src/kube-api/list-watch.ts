import type { KubeObject, KubeStatus } from '../runtime/kube-object.js';
import type { ListResult, ListWatchSource, WatchEvent, WatchHandle } from '../runtime/list-watch-source.js';
import { KubeClient } from './client.js';
import type { KubeConnection } from './connection.js';
import { streamList } from './streaming-list.js';
import { StringPool } from './string-pool.js';
import { openWatch } from './watch.js';

export interface KubeListWatchOptions {
  connection: KubeConnection;
  /** A collection path, e.g. `/apis/keyless.dev/v1alpha1/workloadidentities` or `/api/v1/namespaces/ns/serviceaccounts`. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Objects per list page. */
  pageSize?: number;
  /** Gives up on one list page after this long. */
  pageTimeoutMs?: number;
  /** Asks the server to end each watch after this long (client-go picks 5–10 min at random). */
  watchTimeoutSeconds?: () => number;
}

interface ListPage<T> {
  items?: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

const WATCH_EVENT_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/** The query of one list page. */
export function listQuery(
  options: Pick<KubeListWatchOptions, 'labelSelector' | 'fieldSelector' | 'pageSize'>,
  continueToken?: string,
): URLSearchParams {
  const query = new URLSearchParams({ limit: String(options.pageSize ?? 500) });
  if (options.labelSelector) query.set('labelSelector', options.labelSelector);
  if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
  if (continueToken) query.set('continue', continueToken);
  return query;
}

/** The query parameters of a watch (openWatch adds `watch=true`). */
export function watchQuery(
  options: Pick<KubeListWatchOptions, 'labelSelector' | 'fieldSelector'>,
  resourceVersion: string,
  timeoutSeconds: number,
): Record<string, string | number | boolean> {
  return {
    resourceVersion,
    allowWatchBookmarks: true,
    timeoutSeconds,
    ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
    ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
  };
}

/** Turns one raw watch event into a typed event, or undefined for unknown types. */
export function toWatchEvent<T extends KubeObject>(type: string, obj: unknown): WatchEvent<T> | undefined {
  if (!WATCH_EVENT_TYPES.has(type) || typeof obj !== 'object' || obj === null) return undefined;
  if (type === 'ERROR') return ['ERROR', obj as KubeStatus];
  return [type as 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK', forCache(obj as T)];
}

/** The strings every informer's cache shares (one pool: kinds share apiVersion, finalizers, timestamps). */
const CACHED_STRINGS = new StringPool();

/** kubectl's client-side apply (and Argo CD's default sync) keeps a full copy of the applied manifest here. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * What the informers cache of an object: all of it but what the operator never reads and every
 * object may carry at length. managedFields (server-side apply records one entry per field
 * manager) go, as controller-runtime's TransformStripManagedFields does, and so does kubectl's
 * last-applied copy of the manifest. The operator writes the objects it caches with patches only,
 * so nothing it drops is ever written back. Equal strings are shared among the cached objects
 * (StringPool): about a quarter of a converged WorkloadIdentity's heap.
 */
export function forCache<T extends KubeObject>(obj: T, strings: StringPool = CACHED_STRINGS): T {
  const metadata = obj.metadata;
  if (!metadata) return obj;
  const lastApplied = metadata.annotations !== undefined && LAST_APPLIED_ANNOTATION in metadata.annotations;
  if ('managedFields' in metadata || lastApplied) {
    // Copies rather than `delete`, which leaves V8 a slow dictionary-mode object (about 370 bytes
    // more per cached object).
    const { managedFields: _, annotations, ...rest } = metadata;
    const kept = lastApplied ? withoutKey(annotations ?? {}, LAST_APPLIED_ANNOTATION) : annotations;
    obj.metadata = kept === undefined ? rest : { ...rest, annotations: kept };
  }
  return strings.internAll(obj);
}

/** `record` without `key`; undefined when nothing else is left. */
function withoutKey(record: Record<string, string>, key: string): Record<string, string> | undefined {
  const { [key]: _, ...rest } = record;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** Long enough for the server to send hundreds of thousands of objects. */
const STREAMING_LIST_TIMEOUT_SECONDS = 600;

const defaultWatchTimeoutSeconds = (): number => 300 + Math.floor(Math.random() * 300);

/**
 * Lists (paginated) and watches one API collection through a KubeConnection. Objects
 * are passed through as parsed JSON (listed items carry no apiVersion/kind: the API server omits them).
 */
export class KubeListWatch<T extends KubeObject> implements ListWatchSource<T> {
  private readonly client: KubeClient;

  constructor(private readonly options: KubeListWatchOptions) {
    this.client = new KubeClient(options.connection);
  }

  /** Cleared once the server has shown it does not serve streaming lists: lists are paged from then on. */
  private streaming = true;

  /**
   * The collection now: as a streaming list where the API server serves one (the 1.37 API server
   * the tests run does by default), else in pages (for good where the server does not serve them,
   * this once while it is busy). The benchmark's start on 200,000 objects spent
   * about 50 of its 56 s sync waiting for 400 pages.
   */
  async list(signal?: AbortSignal): Promise<ListResult<T>> {
    if (this.streaming) {
      const streamed = await streamList<T>({
        connection: this.options.connection,
        path: this.options.path,
        ...(this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {}),
        ...(this.options.fieldSelector ? { fieldSelector: this.options.fieldSelector } : {}),
        keep: forCache,
        idleTimeoutMs: this.options.pageTimeoutMs ?? 60_000,
        timeoutSeconds: STREAMING_LIST_TIMEOUT_SECONDS,
        ...(signal ? { signal } : {}),
      });
      if (!('unavailable' in streamed)) return streamed;
      if (streamed.unavailable === 'unsupported') this.streaming = false;
    }
    return this.pagedList(signal);
  }

  private async pagedList(signal?: AbortSignal): Promise<ListResult<T>> {
    const items: T[] = [];
    let resourceVersion: string | undefined;
    let continueToken: string | undefined;
    do {
      const page = await this.getJson<ListPage<T>>(
        { path: this.options.path, query: listQuery(this.options, continueToken) },
        signal,
      );
      for (const item of page.items ?? []) items.push(forCache(item));
      // Every page of one paginated list is the same snapshot; the first page names it.
      resourceVersion ??= page.metadata?.resourceVersion;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    if (!resourceVersion) throw new Error(`list ${this.options.path}: response has no resourceVersion`);
    return { items, resourceVersion };
  }

  async watch(
    resourceVersion: string,
    onEvent: (...event: WatchEvent<T>) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle> {
    const timeoutSeconds = (this.options.watchTimeoutSeconds ?? defaultWatchTimeoutSeconds)();
    return openWatch(
      this.options.connection,
      this.options.path,
      watchQuery(this.options, resourceVersion, timeoutSeconds),
      (type: string, obj: unknown) => {
        const event = toWatchEvent<T>(type, obj);
        if (event) onEvent(...event);
      },
      onDone,
    );
  }

  private getJson<R>(
    pathAndQuery: { path: string; query: URLSearchParams },
    signal?: AbortSignal,
  ): Promise<R> {
    return this.client.request<R>('GET', pathAndQuery.path, {
      query: pathAndQuery.query,
      timeoutMs: this.options.pageTimeoutMs ?? 60_000,
      ...(signal ? { signal } : {}),
    });
  }
}

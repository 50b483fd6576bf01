import http from 'node:http';
import https from 'node:https';
import { type KubeConfig, Watch } from '@kubernetes/client-node';
import type { KubeObject, KubeStatus } from './kube-object.js';
import type { ListResult, ListWatchSource, WatchEvent, WatchHandle } from './list-watch-source.js';

export interface KubeListWatchOptions {
  kubeConfig: KubeConfig;
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

/** The query parameters of a watch (client-node's Watch adds `watch=true`). */
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

/** Turns one raw event from client-node's Watch into a typed event, or undefined for unknown types. */
export function toWatchEvent<T extends KubeObject>(type: string, obj: unknown): WatchEvent<T> | undefined {
  if (!WATCH_EVENT_TYPES.has(type) || typeof obj !== 'object' || obj === null) return undefined;
  if (type === 'ERROR') return ['ERROR', obj as KubeStatus];
  return [type as 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK', obj as T];
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

const defaultWatchTimeoutSeconds = (): number => 300 + Math.floor(Math.random() * 300);

/**
 * Lists (paginated) and watches one API collection with client-node's KubeConfig and Watch. Objects
 * are passed through as parsed JSON (listed items carry no apiVersion/kind: the API server omits them).
 */
export class KubeListWatch<T extends KubeObject> implements ListWatchSource<T> {
  private readonly watcher: Watch;

  constructor(private readonly options: KubeListWatchOptions) {
    this.watcher = new Watch(options.kubeConfig);
  }

  async list(signal?: AbortSignal): Promise<ListResult<T>> {
    const items: T[] = [];
    let resourceVersion: string | undefined;
    let continueToken: string | undefined;
    do {
      const page = await this.getJson<ListPage<T>>(
        `${this.options.path}?${listQuery(this.options, continueToken)}`,
        signal,
      );
      for (const item of page.items ?? []) items.push(item);
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
    const controller = await this.watcher.watch(
      this.options.path,
      watchQuery(this.options, resourceVersion, timeoutSeconds),
      (type: string, obj: unknown) => {
        const event = toWatchEvent<T>(type, obj);
        if (event) onEvent(...event);
      },
      (err: unknown) => onDone(err ?? undefined),
    );
    return { abort: () => controller.abort() };
  }

  private async getJson<R>(pathAndQuery: string, signal?: AbortSignal): Promise<R> {
    const cluster = this.options.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const url = new URL(cluster.server + pathAndQuery);
    const requestOptions: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
    // Adds the TLS agent (CA, client certificate, proxy) and the Authorization header.
    await this.options.kubeConfig.applyToHTTPSOptions(requestOptions);
    const timeout = AbortSignal.timeout(this.options.pageTimeoutMs ?? 60_000);
    requestOptions.signal = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const { statusCode, body } = await request(url, requestOptions);
    if (statusCode < 200 || statusCode > 299)
      throw apiErrorFromResponse('GET', url.pathname, statusCode, body);
    try {
      return JSON.parse(body) as R;
    } catch (err) {
      throw new Error(`GET ${url.pathname}: response is not JSON`, { cause: err });
    }
  }
}

function request(url: URL, options: https.RequestOptions): Promise<{ statusCode: number; body: string }> {
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (err) =>
        reject(new Error(`GET ${url.pathname}: reading the response failed`, { cause: err })),
      );
      res.on('end', () =>
        resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', (err) => reject(new Error(`GET ${url.pathname} failed`, { cause: err })));
    req.end();
  });
}

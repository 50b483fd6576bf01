import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { apiErrorFromResponse } from './kube-api-error.js';

export type ContentType =
  | 'application/json'
  | 'application/merge-patch+json'
  | 'application/json-patch+json'
  | 'application/apply-patch+yaml';

export interface RequestOptions {
  body?: unknown;
  contentType?: ContentType;
  query?: Record<string, string> | URLSearchParams;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Called once per request, for metrics and for tests that count API writes. */
export type RequestObserver = (method: string, path: string, statusCode: number) => void;

/**
 * Plain requests to the API server (list pages, get, patch, create), authenticated by client-node's
 * KubeConfig (TLS, client certificates, tokens). Errors carry the HTTP status and the server's
 * Status message.
 */
export class KubeClient {
  private readonly observers: RequestObserver[] = [];

  constructor(private readonly kubeConfig: KubeConfig) {}

  onRequest(observer: RequestObserver): void {
    this.observers.push(observer);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const query = options.query ? `?${new URLSearchParams(options.query)}` : '';
    const url = new URL(cluster.server + path + query);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const requestOptions: https.RequestOptions = {
      method,
      headers: {
        Accept: 'application/json',
        ...(payload !== undefined
          ? {
              'Content-Type': options.contentType ?? 'application/json',
              'Content-Length': Buffer.byteLength(payload),
            }
          : {}),
      },
      signal: options.signal
        ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs ?? 30_000)])
        : AbortSignal.timeout(options.timeoutMs ?? 30_000),
    };
    await this.kubeConfig.applyToHTTPSOptions(requestOptions);
    const { statusCode, body } = await send(url, requestOptions, payload);
    for (const observe of this.observers) observe(method, path, statusCode);
    if (statusCode < 200 || statusCode > 299)
      throw apiErrorFromResponse(method, url.pathname, statusCode, body);
    try {
      return (body ? JSON.parse(body) : undefined) as T;
    } catch (err) {
      throw new Error(`${method} ${url.pathname}: response is not JSON`, { cause: err });
    }
  }
}

function send(
  url: URL,
  options: https.RequestOptions,
  payload: string | undefined,
): Promise<{ statusCode: number; body: string }> {
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (err) =>
        reject(new Error(`${options.method} ${url.pathname}: reading the response failed`, { cause: err })),
      );
      res.on('end', () =>
        resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', (err) => reject(new Error(`${options.method} ${url.pathname} failed`, { cause: err })));
    req.end(payload);
  });
}

export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 404;
}

export function isConflict(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 409;
}

import http from 'node:http';
import https from 'node:https';
import { apiErrorFromResponse } from './api-error.js';
import type { KubeConnection } from './connection.js';

export interface WatchStream {
  /** Ends the stream; `onDone` is called, without an error, as when the server ends it. */
  abort(): void;
}

/** How long a watch connection may be idle before TCP keep-alive probes it (a dead peer is noticed). */
const KEEP_ALIVE_DELAY_MS = 30_000;

/**
 * Opens one watch of `path` (`watch=true` and `query` added) and calls `onEvent` with each event's
 * type and object, in stream order. `onDone` is called once when the stream ends: without an error
 * when the server closed it (a watch's timeoutSeconds), with a KubeApiError carrying `statusCode` when
 * the server refused it (410: the resourceVersion is gone), or with the error that broke it (the
 * transport's, a line that is not a JSON event, or one `onEvent` threw).
 */
export async function openWatch(
  connection: KubeConnection,
  path: string,
  query: Record<string, string | number | boolean>,
  onEvent: (type: string, object: unknown) => void,
  onDone: (err?: unknown) => void,
): Promise<WatchStream> {
  const cluster = connection.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(cluster.server + path);
  url.searchParams.set('watch', 'true');
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
  const abort = new AbortController();
  const options: https.RequestOptions = {
    method: 'GET',
    headers: { Accept: 'application/json' },
  };
  await connection.applyToHTTPSOptions(options);
  options.signal = abort.signal;

  let ended = false;
  const end = (err?: unknown) => {
    if (ended) return;
    ended = true;
    const aborted = abort.signal.aborted;
    abort.abort();
    onDone(aborted ? undefined : err);
  };
  /** Hands one line's event to `onEvent`; false when the stream was ended because of it. */
  const deliver = (line: string): boolean => {
    try {
      const event = JSON.parse(line) as { type?: unknown; object?: unknown };
      if (typeof event.type !== 'string') throw new Error('the event has no type');
      onEvent(event.type, event.object);
      return true;
    } catch (err) {
      end(new Error(`watch ${url.pathname}: could not take an event`, { cause: err }));
      return false;
    }
  };
  const transport = url.protocol === 'http:' ? http : https;
  const request = transport.request(url, options, (response) => {
    response.setEncoding('utf8');
    if (response.statusCode !== 200) {
      let body = '';
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        end(apiErrorFromResponse('GET', url.pathname, response.statusCode ?? 0, body)),
      );
      response.on('error', end);
      response.on('close', () =>
        end(
          new Error(
            `watch ${url.pathname}: HTTP ${response.statusCode}, and the connection closed before the answer was read`,
          ),
        ),
      );
      return;
    }
    let pending = '';
    response.on('data', (chunk: string) => {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim() && !deliver(line)) return;
        newline = pending.indexOf('\n');
      }
    });
    response.on('end', () => {
      if (pending.trim() && !deliver(pending)) return;
      end();
    });
    response.on('error', end);
    response.on('close', () => end());
  });
  request.on('socket', (socket) => socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS));
  request.on('error', (err) => end(new Error(`watch ${url.pathname} failed`, { cause: err })));
  request.end();
  return {
    abort: () => {
      abort.abort();
      end();
    },
  };
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeConnection } from '../../../src/kube-api/connection.js';
import { forCache } from '../../../src/kube-api/list-watch.js';
import { INITIAL_EVENTS_END, streamList } from '../../../src/kube-api/streaming-list.js';
import type { KubeObject } from '../../../src/runtime/kube-object.js';

/**
 * What a streaming list meets on servers the real API server of the integration tests is not:
 * one that stalls, one that ends the stream with an ERROR event, one older than the feature
 * (it watches from now: a plain bookmark, or a change, before any end bookmark). The stand-in
 * speaks the watch protocol: one JSON event per line, on a response that stays open.
 */
type Script = (res: http.ServerResponse) => void;

const scripts = new Map<string, Script>();
/** The query of the last request to each path, and whether its connection was closed. */
const seen = new Map<string, { query: URLSearchParams; closed: Promise<void> }>();
let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const { pathname, searchParams } = new URL(req.url ?? '/', 'http://stand-in');
    const closed = new Promise<void>((resolve) => res.on('close', () => resolve()));
    seen.set(pathname, { query: searchParams, closed });
    const script = scripts.get(pathname);
    if (!script) {
      res.writeHead(404).end('{"kind":"Status","message":"no script"}');
      return;
    }
    script(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const connection: KubeConnection = {
  getCurrentCluster: () => ({ server: url }),
  applyToHTTPSOptions: async () => {},
};

const object = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'keyless.dev/v1alpha1',
  kind: 'WorkloadIdentity',
  metadata: { name, namespace: 'default', resourceVersion: '7', managedFields: [{ manager: 'kubectl' }] },
  ...extra,
});
const line = (type: string, obj: unknown) => `${JSON.stringify({ type, object: obj })}\n`;
const endBookmark = (resourceVersion?: string) =>
  line('BOOKMARK', {
    kind: 'WorkloadIdentity',
    metadata: {
      ...(resourceVersion ? { resourceVersion } : {}),
      annotations: { [INITIAL_EVENTS_END]: 'true' },
    },
  });

/** Opens the stream with `events` written at once, then leaves it open (a watch does). */
const streaming =
  (...events: string[]): Script =>
  (res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    for (const event of events) res.write(event);
  };

let paths = 0;
function list(script: Script, options: { idleTimeoutMs?: number; signal?: AbortSignal } = {}) {
  const path = `/apis/keyless.dev/v1alpha1/case-${++paths}`;
  scripts.set(path, script);
  const result = streamList<KubeObject>({
    connection,
    path,
    labelSelector: 'team=a',
    keep: forCache,
    idleTimeoutMs: options.idleTimeoutMs ?? 10_000,
    timeoutSeconds: 60,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { path, result };
}

/** Resolves once the stand-in has the request for `path`, then once the client closed it. */
async function closedByClient(path: string): Promise<void> {
  for (let i = 0; i < 200 && !seen.has(path); i++) await new Promise((r) => setTimeout(r, 5));
  const request = seen.get(path);
  if (!request) throw new Error(`the stand-in never had a request for ${path}`);
  await request.closed;
}

describe('streamList', () => {
  it('asks for the initial events, then returns them, without managedFields, at the end bookmark', async () => {
    const { path, result } = list(
      streaming(line('ADDED', object('a1')), line('ADDED', object('a2')), endBookmark('42')),
    );
    const listed = await result;
    if (!('items' in listed)) throw new Error(`not a list: ${JSON.stringify(listed)}`);
    expect(listed.resourceVersion).toBe('42');
    expect(listed.items.map((o) => o.metadata.name)).toEqual(['a1', 'a2']);
    expect(listed.items.every((o) => o.metadata.managedFields === undefined)).toBe(true);
    const query = Object.fromEntries(seen.get(path)?.query ?? []);
    expect(query).toEqual({
      watch: 'true',
      sendInitialEvents: 'true',
      resourceVersionMatch: 'NotOlderThan',
      allowWatchBookmarks: 'true',
      timeoutSeconds: '60',
      labelSelector: 'team=a',
    });
    // The stream is a watch: the list is done with it at the bookmark, so it closes it.
    await closedByClient(path);
  });

  it('gives up on a server that stops sending events, and closes the stream', async () => {
    const { path, result } = list(streaming(line('ADDED', object('a1'))), { idleTimeoutMs: 150 });
    await expect(result).rejects.toThrow(`streaming list ${path}: no event for 150 ms`);
    await closedByClient(path);
  });

  it('fails with the message of an ERROR event inside the stream, its Status as the cause', async () => {
    const status = {
      kind: 'Status',
      status: 'Failure',
      code: 410,
      reason: 'Expired',
      message: 'too old resource version: 5 (9)',
    };
    const { path, result } = list(streaming(line('ADDED', object('a1')), line('ERROR', status)));
    const err = await result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(
      `streaming list ${path}: the server ended it: too old resource version: 5 (9)`,
    );
    expect((err as Error).cause).toEqual(status);
    await closedByClient(path);
  });

  it.each([
    ['a plain bookmark', line('BOOKMARK', { kind: 'WorkloadIdentity', metadata: { resourceVersion: '9' } })],
    ['a change', line('MODIFIED', object('a1'))],
  ])(
    'says a server that watches from now (%s before any end bookmark) does not serve them',
    async (_, event) => {
      const { path, result } = list(streaming(line('ADDED', object('a1')), event));
      expect(await result).toEqual({ unavailable: 'unsupported' });
      await closedByClient(path);
    },
  );

  it.each([
    [400, 'unsupported'],
    [422, 'unsupported'],
    [429, 'busy'],
  ])('says HTTP %i is %s', async (code, unavailable) => {
    const { result } = list((res) => res.writeHead(code).end('{"kind":"Status","message":"not now"}'));
    expect(await result).toEqual({ unavailable });
  });

  it('fails on any other refusal with the server message', async () => {
    const { path, result } = list((res) =>
      res.writeHead(403).end('{"kind":"Status","message":"forbidden: cannot watch"}'),
    );
    const err = await result.catch((e: unknown) => e);
    expect((err as Error).message).toBe(`streaming list ${path}: the stream failed`);
    expect(((err as Error).cause as Error).message).toContain('HTTP 403: forbidden: cannot watch');
  });

  it('fails when the stream ends before its end bookmark, or the bookmark has no resourceVersion', async () => {
    const ended = list((res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(line('ADDED', object('a1')));
    });
    await expect(ended.result).rejects.toThrow(
      `streaming list ${ended.path}: the stream ended before its end bookmark`,
    );
    const noVersion = list(streaming(endBookmark()));
    await expect(noVersion.result).rejects.toThrow(
      `streaming list ${noVersion.path}: the end bookmark has no resourceVersion`,
    );
  });

  it('fails on a line that is not an event, and closes the stream', async () => {
    const { path, result } = list(streaming('{"type":"ADDED","object":\n'));
    const err = await result.catch((e: unknown) => e);
    expect((err as Error).message).toBe(`streaming list ${path}: the stream failed`);
    expect(((err as Error).cause as Error).message).toContain('could not take an event');
    await closedByClient(path);
  });

  it('ends with the caller’s reason when aborted, closing the stream; an aborted signal sends nothing', async () => {
    const abort = new AbortController();
    const { path, result } = list(streaming(line('ADDED', object('a1'))), { signal: abort.signal });
    await new Promise<void>((resolve) => {
      const wait = () => (seen.has(path) ? resolve() : setTimeout(wait, 5));
      wait();
    });
    abort.abort(new Error('the informer stopped'));
    await expect(result).rejects.toThrow('the informer stopped');
    await closedByClient(path);

    const already = list(streaming(), { signal: AbortSignal.abort(new Error('stopped before')) });
    await expect(already.result).rejects.toThrow('stopped before');
    // A list sent after it is served; the aborted one never reached the server.
    await list(streaming(endBookmark('43'))).result;
    expect(seen.has(already.path)).toBe(false);
  });
});

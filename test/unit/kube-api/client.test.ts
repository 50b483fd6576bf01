import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterAgent, KubeClient } from '../../../src/kube-api/client.js';
import type { KubeConnection } from '../../../src/kube-api/connection.js';
import { generatePki } from '../../support/control-plane/pki.js';

/** An API server stand-in over TLS: `/silent` never answers, the rest as their names say. */
let server: https.Server;
let url: string;
let ca: string;
let connections = 0;
const served: string[] = [];

beforeAll(async () => {
  const pki = await generatePki();
  ca = pki.ca.certPem;
  server = https.createServer({ cert: pki.apiServer.certPem, key: pki.apiServer.keyPem }, (req, res) => {
    served.push(req.url ?? '');
    res.setHeader('Content-Type', 'application/json');
    if (req.url === '/silent') return;
    if (req.url === '/not-json') res.end('an answer no JSON parser takes');
    else if (req.url === '/refused')
      res.writeHead(422).end('{"kind":"Status","message":"the test on /metadata/resourceVersion failed"}');
    else res.end('{"kind":"Status"}');
  });
  server.on('secureConnection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('KubeClient keep-alive connections', () => {
  /** A connection handing out an Agent per request (client-node) or the same one (in a pod). */
  function connection(agent: () => https.Agent): KubeConnection {
    return {
      getCurrentCluster: () => ({ server: url }),
      applyToHTTPSOptions: async (options) => {
        options.agent = agent();
      },
    };
  }

  it.each([
    ['a new Agent for every request', () => () => new https.Agent({ ca })],
    [
      'the same Agent for every request',
      () => {
        const same = new https.Agent({ ca });
        return () => same;
      },
    ],
  ])('makes one TLS connection for requests one after another, given %s', async (_, agents) => {
    const client = new KubeClient(connection(agents()));
    const before = connections;
    for (let i = 0; i < 3; i++) await client.request('GET', '/version');
    expect(connections - before).toBe(1);
    client.close();
    // After close, a request opens a new connection.
    await client.request('GET', '/version');
    expect(connections - before).toBe(2);
    client.close();
  });

  it('drains the body of a write it succeeded with, unread, and keeps the connection for the next request', async () => {
    const client = new KubeClient(connection(() => new https.Agent({ ca })));
    const before = connections;
    await expect(client.request('PATCH', '/not-json')).rejects.toThrow(
      'PATCH /not-json: response is not JSON',
    );
    await expect(client.write('PATCH', '/not-json')).resolves.toBeUndefined();
    await client.request('GET', '/version');
    expect(connections - before).toBe(1);
    client.close();
  });

  it("reads the body of a write it was refused, for the server's message", async () => {
    const client = new KubeClient(connection(() => new https.Agent({ ca })));
    await expect(client.write('PATCH', '/refused')).rejects.toMatchObject({
      statusCode: 422,
      message: 'PATCH /refused: HTTP 422: the test on /metadata/resourceVersion failed',
    });
    client.close();
  });
});

describe('KubeClient deadlines', () => {
  function client(): KubeClient {
    const agent = new https.Agent({ ca });
    return new KubeClient({
      getCurrentCluster: () => ({ server: url }),
      applyToHTTPSOptions: async (options) => {
        options.agent = agent;
      },
    });
  }

  it('ends a request the server does not answer in time, and the next request is answered', async () => {
    const kube = client();
    const failure = await kube.request('GET', '/silent', { timeoutMs: 100 }).catch((err: Error) => err);
    expect(failure).toMatchObject({ message: 'GET /silent failed' });
    expect((failure as Error).cause).toMatchObject({
      name: 'TimeoutError',
      message: 'no answer within 100 ms',
    });
    await expect(kube.request('GET', '/version')).resolves.toEqual({ kind: 'Status' });
    kube.close();
  });

  it("ends a request when the caller's signal aborts, with its reason", async () => {
    const kube = client();
    const caller = new AbortController();
    const reason = new Error('the reconcile was cancelled');
    setTimeout(() => caller.abort(reason), 50);
    const failure = await kube
      .write('PATCH', '/silent', { signal: caller.signal })
      .catch((err: Error) => err);
    expect(failure).toMatchObject({ message: 'PATCH /silent failed', cause: reason });
    kube.close();
  });

  it('sends nothing for a caller whose signal has already aborted', async () => {
    const kube = client();
    const reason = new Error('shutting down');
    const before = served.length;
    await expect(
      kube.request('GET', '/version', { signal: AbortSignal.abort(reason) }),
    ).rejects.toMatchObject({ message: 'GET /version failed', cause: reason });
    await kube.request('GET', '/version');
    expect(served.slice(before)).toEqual(['/version']);
    kube.close();
  });
});

describe('ClusterAgent', () => {
  it('names its sockets by address alone, not by the TLS options https.Agent strings into every name', async () => {
    const { ca } = await generatePki();
    const options = { host: '127.0.0.1', port: 6443, ca: ca.certPem, rejectUnauthorized: true };
    const agent = new ClusterAgent({ ...options, keepAlive: true });
    expect(agent.getName(options)).toBe('127.0.0.1:6443:');
    expect(new https.Agent(options).getName(options)).toContain(ca.certPem.slice(30, 90));
    agent.destroy();
  });
});

import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../../src/kube-api/client.js';
import type { KubeConnection } from '../../../src/kube-api/connection.js';
import { generatePki } from '../../support/control-plane/pki.js';

describe('KubeClient keep-alive connections', () => {
  let server: https.Server;
  let url: string;
  let ca: string;
  let connections = 0;

  beforeAll(async () => {
    const pki = await generatePki();
    ca = pki.ca.certPem;
    server = https.createServer({ cert: pki.apiServer.certPem, key: pki.apiServer.keyPem }, (_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end('{"kind":"Status"}');
    });
    server.on('secureConnection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

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
});

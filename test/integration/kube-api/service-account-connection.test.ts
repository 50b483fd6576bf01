import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkloadIdentity } from '../../../src/api/index.js';
import { collectionPath } from '../../../src/cluster/resources.js';
import { KubeApiError } from '../../../src/kube-api/api-error.js';
import { KubeClient } from '../../../src/kube-api/client.js';
import type { KubeConnection } from '../../../src/kube-api/connection.js';
import { KubeListWatch } from '../../../src/kube-api/list-watch.js';
import { ServiceAccountConnection } from '../../../src/kube-api/service-account-connection.js';
import { openWatch } from '../../../src/kube-api/watch.js';
import type { WatchEvent } from '../../../src/runtime/list-watch-source.js';
import { describeWithControlPlane } from '../../support/control-plane/index.js';
import { apply, type Manifest, remove, waitFor } from '../../support/kube-manifests.js';
import { installKeyless, operatorPodConnection, operatorToken } from '../../support/operator-harness.js';

const identity = (name: string): Manifest => ({
  apiVersion: 'keyless.dev/v1alpha1',
  kind: 'WorkloadIdentity',
  metadata: { name, namespace: 'default' },
  spec: { accountRef: { name: 'a' }, subjects: [{ serviceAccount: { name } }] },
});

describeWithControlPlane(
  'the in-cluster connection (the pod’s ServiceAccount token and CA)',
  (controlPlane) => {
    let admin: KubeClient;
    let mounted: { connection: ServiceAccountConnection; directory: string };

    beforeAll(async () => {
      admin = new KubeClient(controlPlane().kubeConfig());
      await installKeyless(admin);
      mounted = await operatorPodConnection(controlPlane());
    });

    it('lists and watches as the operator’s ServiceAccount, over the mounted CA', async () => {
      const source = new KubeListWatch<WorkloadIdentity>({
        connection: mounted.connection,
        path: collectionPath('WorkloadIdentity'),
      });
      const { resourceVersion } = await source.list();
      const events: string[] = [];
      let ended: unknown = 'open';
      const handle = await source.watch(
        resourceVersion,
        (...[type, obj]: WatchEvent<WorkloadIdentity>) => {
          if (type !== 'BOOKMARK' && type !== 'ERROR') events.push(`${type} ${obj.metadata.name}`);
        },
        (err) => {
          ended = err;
        },
      );
      await apply(admin, identity('through-the-mount'));
      await remove(admin, identity('through-the-mount'));
      await waitFor('the ADDED and DELETED events', async () =>
        events.includes('DELETED through-the-mount') ? true : undefined,
      );
      expect(events[0]).toBe('ADDED through-the-mount');
      expect(ended).toBe('open');
      handle.abort();
      // Ended by the caller: done, without an error.
      expect(ended).toBeUndefined();
    });

    it('re-reads a rotated token after a minute, not on every request', async () => {
      let now = 0;
      const connection = new ServiceAccountConnection({
        server: controlPlane().server,
        directory: mounted.directory,
        now: () => now,
      });
      const client = new KubeClient(connection);
      const read = () => client.request('GET', collectionPath('WorkloadIdentity'));
      await read();
      await writeFile(join(mounted.directory, 'token'), 'not-a-token');
      now = 59_000;
      await read();
      now = 60_000;
      const refused = await read().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(KubeApiError);
      expect((refused as KubeApiError).statusCode).toBe(401);
      await writeFile(join(mounted.directory, 'token'), await operatorToken(controlPlane()));
      now = 120_000;
      await read();
    });

    it('ends a watch the API server refuses with its status (403: a collection the operator may not watch)', async () => {
      const ended = await new Promise<unknown>((resolve, reject) => {
        openWatch(mounted.connection, '/api/v1/namespaces/kube-system/secrets', {}, () => {}, resolve).catch(
          reject,
        );
      });
      expect(ended).toBeInstanceOf(KubeApiError);
      expect((ended as KubeApiError).statusCode).toBe(403);
    });
  },
);

/** A plain-HTTP API server stand-in that writes the given chunks as a watch's body, then ends it. */
describe('a watch stream, chunk by chunk', () => {
  let server: http.Server;
  let chunks: string[] = [];
  const connection: KubeConnection = {
    getCurrentCluster: () => ({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    applyToHTTPSOptions: async () => {},
  };

  beforeAll(async () => {
    server = http.createServer(async (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      for (const chunk of chunks) {
        res.write(chunk);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const watchAll = () =>
    new Promise<{ events: string[]; err: unknown }>((resolve, reject) => {
      const events: string[] = [];
      openWatch(
        connection,
        '/w',
        {},
        (type, obj) => events.push(`${type} ${(obj as { n: number }).n}`),
        (err) => resolve({ events, err }),
      ).catch(reject);
    });

  it('joins events split across chunks and ends cleanly when the server closes the stream', async () => {
    chunks = [
      '{"type":"ADDED","object":{"n":1}}\n{"type":"MODI',
      'FIED","object":{"n":2}}\n',
      '{"type":"DELETED","object":{"n":3}}',
    ];
    expect(await watchAll()).toEqual({ events: ['ADDED 1', 'MODIFIED 2', 'DELETED 3'], err: undefined });
  });

  it('ends with an error at a line that is not a JSON event, delivering nothing after it', async () => {
    chunks = [
      '{"type":"ADDED","object":{"n":1}}\n<html>proxy error</html>\n{"type":"ADDED","object":{"n":2}}\n',
    ];
    const { events, err } = await watchAll();
    expect(events).toEqual(['ADDED 1']);
    expect(String((err as Error).message)).toMatch(/could not take an event/);
  });
});

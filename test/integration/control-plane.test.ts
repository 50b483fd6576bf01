import { execFile, spawn } from 'node:child_process';
import { createPublicKey, type JsonWebKey, verify } from 'node:crypto';
import { existsSync } from 'node:fs';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ControlPlane,
  controlPlaneSource,
  describeWithControlPlane,
  shouldSkipControlPlaneTests,
  startControlPlane,
} from '../support/control-plane/index.js';

const execFileAsync = promisify(execFile);

interface HttpResult {
  readonly status: number;
  readonly body: string;
}

/** GET with the kubeconfig's credentials (admin client certificate, or a bearer token). */
async function get(config: KubeConfig, path: string): Promise<HttpResult> {
  const options: https.RequestOptions = { method: 'GET' };
  await config.applyToHTTPSOptions(options);
  const server = config.getCurrentCluster()?.server ?? '';
  return new Promise((resolve, reject) => {
    const request = https.request(`${server}${path}`, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

function tokenKubeConfig(controlPlane: ControlPlane, token: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [
      {
        name: 'test',
        server: controlPlane.server,
        caData: Buffer.from(controlPlane.caPem).toString('base64'),
      },
    ],
    users: [{ name: 'sa', token }],
    contexts: [{ name: 'test', cluster: 'test', user: 'sa' }],
    currentContext: 'test',
  });
  return config;
}

function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [header = '', claims = ''] = token.split('.');
  const parse = (part: string) =>
    JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;
  return { header: parse(header), claims: parse(claims) };
}

/** Command lines of live processes that mention `needle` (pgrep -f); empty when none. */
async function processesMentioning(needle: string): Promise<string[]> {
  try {
    const { stdout } = await execFileAsync('pgrep', ['-af', needle]);
    return stdout.trim().split('\n').filter(Boolean);
  } catch (error) {
    if ((error as { code?: number }).code === 1) return []; // pgrep: nothing matched
    throw error;
  }
}

async function expectNoProcessesOrFiles(workDir: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await processesMentioning(workDir)).length > 0 || existsSync(workDir)) {
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  expect(await processesMentioning(workDir)).toEqual([]);
  expect(existsSync(workDir)).toBe(false);
}

describeWithControlPlane('a control plane', (controlPlane) => {
  const namespace = 'keyless-cp-test';
  const serviceAccount = 'workload';
  let token = '';

  it('is ready and runs etcd and kube-apiserver from its work dir', async () => {
    const readyz = await get(controlPlane().kubeConfig(), '/readyz');
    expect(readyz).toEqual({ status: 200, body: 'ok' });
    if (controlPlane().kind === 'binaries') {
      const commands = await processesMentioning(controlPlane().workDir);
      expect(commands.some((line) => line.includes('kube-apiserver'))).toBe(true);
      expect(commands.some((line) => line.includes('etcd'))).toBe(true);
    }
  });

  it('creates a namespace and a ServiceAccount, and issues it a token for sts.amazonaws.com', async () => {
    const core = controlPlane().kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: serviceAccount } } });
    const request = await core.createNamespacedServiceAccountToken({
      name: serviceAccount,
      namespace,
      body: { spec: { audiences: ['sts.amazonaws.com'], expirationSeconds: 3600 } },
    });
    token = request.status?.token ?? '';
    const { claims } = decodeJwt(token);
    expect(claims.iss).toBe(controlPlane().issuerUrl);
    expect(claims.aud).toEqual(['sts.amazonaws.com']);
    expect(claims.sub).toBe(`system:serviceaccount:${namespace}:${serviceAccount}`);
  });

  it('serves OIDC discovery and a JWKS that verifies the token', async () => {
    const admin = controlPlane().kubeConfig();
    const discovery = await get(admin, '/.well-known/openid-configuration');
    expect(discovery.status).toBe(200);
    const document = JSON.parse(discovery.body) as { issuer: string; jwks_uri: string };
    expect(document.issuer).toBe(controlPlane().issuerUrl);
    expect(document.jwks_uri).toBe(`${controlPlane().issuerUrl}/openid/v1/jwks`);

    const jwks = await get(admin, '/openid/v1/jwks');
    expect(jwks.status).toBe(200);
    const { keys } = JSON.parse(jwks.body) as { keys: (JsonWebKey & { kid: string })[] };
    const { header } = decodeJwt(token);
    const key = keys.find((candidate) => candidate.kid === header.kid);
    expect(key, `JWKS has the token's kid ${String(header.kid)}`).toBeDefined();
    expect(header.alg).toBe('RS256');
    const [head, payload, signature = ''] = token.split('.');
    const valid = verify(
      'sha256',
      Buffer.from(`${head}.${payload}`),
      createPublicKey({ key: key as JsonWebKey, format: 'jwk' }),
      Buffer.from(signature, 'base64url'),
    );
    expect(valid).toBe(true);
  });

  it('enforces RBAC: the ServiceAccount is authenticated but may not list secrets', async () => {
    const asServiceAccount = tokenKubeConfig(controlPlane(), token);
    const error = await asServiceAccount
      .makeApiClient(CoreV1Api)
      .listNamespacedSecret({ namespace })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(ApiException);
    expect((error as ApiException<string>).code).toBe(403);
    expect(String((error as ApiException<string>).body)).toContain(
      `system:serviceaccount:${namespace}:${serviceAccount}`,
    );
  });

  it('keeps objects and the signing key across restartApiServer()', async () => {
    const before = controlPlane().server;
    await controlPlane().restartApiServer();
    expect(controlPlane().server).toBe(before);
    const core = controlPlane().kubeConfig().makeApiClient(CoreV1Api);
    const account = await core.readNamespacedServiceAccount({ name: serviceAccount, namespace });
    expect(account.metadata?.name).toBe(serviceAccount);
    // A token issued before the restart still authenticates (discovery is open to any authenticated user).
    expect((await get(tokenKubeConfig(controlPlane(), token), '/apis')).status).toBe(200);
  });
});

describe.skipIf(shouldSkipControlPlaneTests())('control plane lifecycle', () => {
  const started: ControlPlane[] = [];
  afterAll(async () => {
    await Promise.all(started.map((controlPlane) => controlPlane.stop()));
  });

  it('runs two instances at once, isolated, and leaves no process or file after stop()', async () => {
    const source = controlPlaneSource();
    const [first, second] = await Promise.all([startControlPlane({ source }), startControlPlane({ source })]);
    if (!first || !second) throw new Error('expected two control planes');
    started.push(first, second);
    expect(first.server).not.toBe(second.server);
    expect(first.workDir).not.toBe(second.workDir);

    await first
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: 'only-first' } } });
    const secondNamespaces = await second.kubeConfig().makeApiClient(CoreV1Api).listNamespace();
    expect(secondNamespaces.items.map((item) => item.metadata?.name)).not.toContain('only-first');

    await Promise.all([first.stop(), second.stop()]);
    if (first.kind === 'binaries') {
      await expectNoProcessesOrFiles(first.workDir);
      await expectNoProcessesOrFiles(second.workDir);
    }
  });

  it.skipIf(controlPlaneSource().kind !== 'binaries')(
    'kills etcd and kube-apiserver and removes the work dir when the test process is SIGKILLed',
    async () => {
      const launcher = fileURLToPath(new URL('../support/control-plane/launcher.ts', import.meta.url));
      const script = [
        `import { startControlPlane } from ${JSON.stringify(launcher)};`,
        'const controlPlane = await startControlPlane({ source: JSON.parse(process.env.CONTROL_PLANE_SOURCE) });',
        'console.log(JSON.stringify({ workDir: controlPlane.workDir }));',
        'setInterval(() => {}, 60_000);',
      ].join('\n');
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
        env: { ...process.env, CONTROL_PLANE_SOURCE: JSON.stringify(controlPlaneSource()) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      const workDir = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const line = output.split('\n').find((candidate) => candidate.startsWith('{'));
          if (line) resolve((JSON.parse(line) as { workDir: string }).workDir);
        });
        child.on('exit', (code) =>
          reject(new Error(`the child exited (${code}) before starting: ${output}`)),
        );
      });
      expect(await processesMentioning(workDir)).toHaveLength(2);

      child.kill('SIGKILL');
      await exited;
      await expectNoProcessesOrFiles(workDir);
    },
  );
});

/**
 * The fault-injecting proxy: first on its own in front of a small echo server (no emulator needed),
 * then in front of moto, recording what the AWS SDK makes of each injected fault.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateRoleCommand, GetRoleCommand, IAMClient, IAMServiceException } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsQueryError, type FaultProxy, startFaultProxy } from '../support/fault-proxy/index.js';
import { awsClientConfig, describeWithMoto } from '../support/moto/index.js';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface EchoServer {
  readonly endpoint: string;
  readonly received: Received[];
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** Answers every request with 201, its own description as JSON, in two chunks (no content-length). */
async function startEchoServer(): Promise<EchoServer> {
  const received: Received[] = [];
  let connections = 0;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(entry);
      response.writeHead(201, { 'content-type': 'application/json', 'x-echo': 'yes' });
      const text = JSON.stringify(entry);
      response.write(text.slice(0, 10));
      response.end(text.slice(10));
    });
  });
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly reusedSocket: boolean;
}

function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; agent?: http.Agent } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            reusedSocket: request.reusedSocket,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

async function rejectionOf(call: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await call;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected the call to fail');
}

describe('fault proxy in front of an HTTP server', () => {
  let echo: EchoServer;
  let proxy: FaultProxy;

  beforeAll(async () => {
    echo = await startEchoServer();
  });
  afterAll(async () => {
    await echo?.close();
  });
  beforeEach(async () => {
    echo.received.length = 0;
    proxy = await startFaultProxy({ target: echo.endpoint });
  });
  afterEach(async () => {
    await proxy?.stop();
  });

  it('passes requests and answers through unchanged, keeping connections alive on both sides', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const body = 'Action=ListRoles&Version=2010-05-08&Marker=a%2Bb';
      const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-custom': 'kept' };
      const first = await send(`${proxy.endpoint}/some/path?q=1`, { method: 'POST', headers, body, agent });
      const second = await send(`${proxy.endpoint}/other`, { agent });

      expect(first.status).toBe(201);
      expect(first.headers['x-echo']).toBe('yes');
      expect(JSON.parse(first.body)).toMatchObject({ method: 'POST', url: '/some/path?q=1', body });
      expect(echo.received[0]?.headers).toMatchObject({
        'x-custom': 'kept',
        host: new URL(proxy.endpoint).host, // what a SigV4 signature covers
        'content-length': String(body.length),
      });
      expect(second.reusedSocket).toBe(true);
      expect(echo.connections()).toBe(1);
      expect(proxy.counts()).toEqual({ ListRoles: 1, 'GET /other': 1 });
    } finally {
      agent.destroy();
    }
  });

  it('counts by the Action of the body or of the query string, and by METHOD /path otherwise', async () => {
    await send(`${proxy.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: 'Action=GetRole&RoleName=a',
    });
    await send(`${proxy.endpoint}/?Action=GetRole&RoleName=b`);
    await send(`${proxy.endpoint}/bucket/key?x-id=GetObject`);
    expect(proxy.counts()).toEqual({ GetRole: 2, 'GET /bucket/key': 1 });
    proxy.resetCounts();
    expect(proxy.counts()).toEqual({});
  });

  it('applies a rule to as many matching requests as it says, chosen by operation and predicate', async () => {
    await proxy.stop();
    proxy = await startFaultProxy({
      target: echo.endpoint,
      operationOf: (request) => new URL(request.url ?? '/', 'http://x').pathname.split('/')[1] ?? '',
    });
    const fault = proxy.inject({
      operation: 'projects',
      when: (request) => request.method === 'DELETE',
      times: 2,
      respond: {
        status: 429,
        headers: { 'content-type': 'application/json' },
        body: '{"error":"slow down"}',
      },
      retryAfterSeconds: 7,
    });

    const statuses: number[] = [];
    for (const method of ['GET', 'DELETE', 'DELETE', 'DELETE']) {
      statuses.push((await send(`${proxy.endpoint}/projects/p1`, { method })).status);
    }
    const limited = await send(`${proxy.endpoint}/projects/p1`, { method: 'DELETE' });
    proxy.inject({ times: 1, respond: { status: 503 } });
    const any = await send(`${proxy.endpoint}/other/x`);

    expect(statuses).toEqual([201, 429, 429, 201]);
    expect(limited.status).toBe(201);
    expect(fault.applied()).toBe(2);
    expect(any.status).toBe(503);
    expect(echo.received.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /projects/p1',
      'DELETE /projects/p1',
      'DELETE /projects/p1',
    ]);
    expect(proxy.counts()).toEqual({ projects: 5, other: 1 });
  });

  it('sends the canned answer with its headers, Retry-After and a content-length', async () => {
    proxy.inject({ respond: { status: 429, body: 'slow down' }, retryAfterSeconds: 3 });
    const answer = await send(`${proxy.endpoint}/`);
    expect(answer).toMatchObject({ status: 429, body: 'slow down' });
    expect(answer.headers).toMatchObject({ 'retry-after': '3', 'content-length': '9' });
  });

  it('delays by latencyMs, then passes the request on', async () => {
    const fault = proxy.inject({ latencyMs: 300, times: 1 });
    const started = performance.now();
    const answer = await send(`${proxy.endpoint}/slow`);
    const elapsed = performance.now() - started;
    await send(`${proxy.endpoint}/fast`);

    expect(answer.status).toBe(201);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(fault.applied()).toBe(1);
    expect(echo.received.map((r) => r.url)).toEqual(['/slow', '/fast']);
  });

  it('resets the connection instead of answering', async () => {
    proxy.inject({ reset: true, times: 1 });
    const error = await rejectionOf(send(`${proxy.endpoint}/`));
    expect(error.code).toBe('ECONNRESET');
    expect(echo.received).toHaveLength(0);
    expect((await send(`${proxy.endpoint}/`)).status).toBe(201);
  });

  it('forgets every rule on clearFaults()', async () => {
    proxy.inject({ respond: { status: 500 } });
    proxy.clearFaults();
    expect((await send(`${proxy.endpoint}/`)).status).toBe(201);
  });

  it('refuses rules without an effect or with contradicting ones, and targets off loopback', async () => {
    expect(() => proxy.inject({ operation: 'GetRole' })).toThrow(/needs an effect/);
    expect(() => proxy.inject({ reset: true, respond: { status: 500 } })).toThrow(/exclude each other/);
    expect(() => proxy.inject({ latencyMs: 1, times: 0 })).toThrow(/positive integer/);
    expect(() => proxy.inject({ latencyMs: 1, retryAfterSeconds: 1 })).toThrow(/needs respond/);
    await expect(startFaultProxy({ target: 'http://example.com' })).rejects.toThrow(/loopback/);
  });

  it('answers 502 naming the target when the target is down', async () => {
    const gone = await startEchoServer();
    await gone.close();
    const toNowhere = await startFaultProxy({ target: gone.endpoint });
    try {
      const answer = await send(`${toNowhere.endpoint}/x`);
      expect(answer.status).toBe(502);
      expect(answer.body).toContain(`GET ${gone.endpoint}/x failed`);
      expect(answer.body).toContain('ECONNREFUSED');
    } finally {
      await toNowhere.stop();
    }
  });

  it('stops with a request waiting in its latency', async () => {
    proxy.inject({ latencyMs: 60_000 });
    const pending = rejectionOf(send(`${proxy.endpoint}/`));
    await expect.poll(() => proxy.counts()).toEqual({ 'GET /': 1 });
    await proxy.stop();
    expect((await pending).code).toBe('ECONNRESET');
  });
});

describeWithMoto('fault proxy in front of moto, seen by the AWS SDK', (moto) => {
  let proxy: FaultProxy;
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [] });
  /** One attempt: each fault reaches the caller as is. */
  let iam: IAMClient;
  /** The SDK's default standard retry strategy (3 attempts). */
  let retryingIam: IAMClient;

  beforeAll(async () => {
    proxy = await startFaultProxy({ target: moto().endpoint });
    iam = new IAMClient({ ...awsClientConfig(proxy.endpoint), maxAttempts: 1 });
    retryingIam = new IAMClient(awsClientConfig(proxy.endpoint));
  });
  afterAll(async () => {
    iam?.destroy();
    retryingIam?.destroy();
    await proxy?.stop();
  });
  beforeEach(async () => {
    await moto().reset();
    proxy.clearFaults();
    proxy.resetCounts();
  });

  it('passes calls through to moto when no rule is injected, counting them by Action', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'through', AssumeRolePolicyDocument: trust }));
    await iam.send(new GetRoleCommand({ RoleName: 'through' }));
    await iam.send(new GetRoleCommand({ RoleName: 'through' }));

    const direct = new IAMClient({ ...awsClientConfig(moto().endpoint), maxAttempts: 1 });
    try {
      const { Role } = await direct.send(new GetRoleCommand({ RoleName: 'through' }));
      expect(Role?.RoleName).toBe('through');
    } finally {
      direct.destroy();
    }
    expect(proxy.counts()).toEqual({ CreateRole: 1, GetRole: 2 });
  });

  it('turns an injected Throttling answer into IAMServiceException named Throttling, HTTP 400', async () => {
    proxy.inject({
      operation: 'CreateRole',
      times: 1,
      respond: awsQueryError('Throttling', 'Rate exceeded', 400, { requestId: 'req-throttled' }),
    });

    const error = await rejectionOf(
      iam.send(new CreateRoleCommand({ RoleName: 'throttled', AssumeRolePolicyDocument: trust })),
    );

    expect(error).toBeInstanceOf(IAMServiceException);
    expect(error).toMatchObject({
      name: 'Throttling',
      message: 'Rate exceeded',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, requestId: 'req-throttled', attempts: 1 },
      Code: 'Throttling',
      Type: 'Sender',
    });
    expect(proxy.counts()).toEqual({ CreateRole: 1 });
    // The faulted call never reached moto.
    await expect(iam.send(new GetRoleCommand({ RoleName: 'throttled' }))).rejects.toThrow(/not found/);
  });

  it('gives the same shape for STS (STSServiceException), and Receiver 5xx as a server fault', async () => {
    proxy.inject({
      operation: 'GetCallerIdentity',
      times: 1,
      respond: awsQueryError('Throttling', 'Rate exceeded', 400, { service: 'sts' }),
    });
    proxy.inject({
      operation: 'GetRole',
      times: 1,
      respond: awsQueryError('ServiceUnavailable', 'Down', 503),
    });
    const sts = new STSClient({ ...awsClientConfig(proxy.endpoint), maxAttempts: 1 });
    try {
      const throttled = await rejectionOf(sts.send(new GetCallerIdentityCommand({})));
      expect(throttled).toBeInstanceOf(STSServiceException);
      expect(throttled).toMatchObject({ name: 'Throttling', $metadata: { httpStatusCode: 400 } });
    } finally {
      sts.destroy();
    }
    const unavailable = await rejectionOf(iam.send(new GetRoleCommand({ RoleName: 'x' })));
    expect(unavailable).toMatchObject({
      name: 'ServiceUnavailable',
      $fault: 'server',
      $metadata: { httpStatusCode: 503 },
    });

    await iam.send(new CreateRoleCommand({ RoleName: 'x', AssumeRolePolicyDocument: trust }));
    proxy.inject({
      operation: 'GetRole',
      times: 1,
      respond: awsQueryError('ServiceUnavailable', 'Down', 503),
    });
    const { $metadata } = await retryingIam.send(new GetRoleCommand({ RoleName: 'x' }));
    expect($metadata.attempts).toBe(2);
  });

  it('lets the default retry strategy get through two throttles on the third attempt', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'retried', AssumeRolePolicyDocument: trust }));
    proxy.resetCounts();
    proxy.inject({ operation: 'GetRole', times: 2, respond: awsQueryError('Throttling', 'Rate exceeded') });

    const { Role, $metadata } = await retryingIam.send(new GetRoleCommand({ RoleName: 'retried' }));

    expect(Role?.RoleName).toBe('retried');
    expect($metadata.attempts).toBe(3);
    expect(proxy.counts()).toEqual({ GetRole: 3 });
  });

  it('makes the SDK wait for Retry-After before retrying', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'patient', AssumeRolePolicyDocument: trust }));
    proxy.inject({
      operation: 'GetRole',
      times: 1,
      respond: awsQueryError('Throttling', 'Rate exceeded'),
      retryAfterSeconds: 1,
    });

    const { $metadata } = await retryingIam.send(new GetRoleCommand({ RoleName: 'patient' }));

    expect($metadata.attempts).toBe(2);
    expect($metadata.totalRetryDelay).toBeGreaterThanOrEqual(900);
  });

  it('surfaces a connection reset as a network error (name TimeoutError, code ECONNRESET), retried by default', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'reset', AssumeRolePolicyDocument: trust }));
    proxy.resetCounts();
    proxy.inject({ operation: 'GetRole', times: 1, reset: true });

    const error = await rejectionOf(iam.send(new GetRoleCommand({ RoleName: 'reset' })));
    expect(error).not.toBeInstanceOf(IAMServiceException);
    expect(error).toMatchObject({ name: 'TimeoutError', code: 'ECONNRESET', message: 'read ECONNRESET' });
    expect((error.$metadata as { httpStatusCode?: number }).httpStatusCode).toBeUndefined();

    proxy.inject({ operation: 'GetRole', times: 1, reset: true });
    const { $metadata } = await retryingIam.send(new GetRoleCommand({ RoleName: 'reset' }));
    expect($metadata.attempts).toBe(2);
    expect(proxy.counts()).toEqual({ GetRole: 3 });
  });

  it('applies latency to the chosen operation only', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'slow', AssumeRolePolicyDocument: trust }));
    const fault = proxy.inject({ operation: 'GetRole', latencyMs: 400 });

    const started = performance.now();
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'slow' }));
    const elapsed = performance.now() - started;
    await iam.send(new CreateRoleCommand({ RoleName: 'fast', AssumeRolePolicyDocument: trust }));

    expect(Role?.RoleName).toBe('slow');
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(fault.applied()).toBe(1);
  });
});

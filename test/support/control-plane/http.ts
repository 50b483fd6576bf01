/** Minimal GET over HTTP(S) for readiness probes; no retries, no keep-alive. */
import http from 'node:http';
import https from 'node:https';

export interface TlsClientIdentity {
  readonly caPem: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly bearerToken?: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

export function httpGet(url: string, tls?: TlsClientIdentity, timeoutMs = 5000): Promise<HttpResponse> {
  const target = new URL(url);
  const headers: Record<string, string> = {};
  if (tls?.bearerToken) headers.authorization = `Bearer ${tls.bearerToken}`;
  return new Promise((resolve, reject) => {
    const onResponse = (response: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
    };
    const request =
      target.protocol === 'https:'
        ? https.request(
            target,
            { method: 'GET', agent: false, headers, ca: tls?.caPem, cert: tls?.certPem, key: tls?.keyPem },
            onResponse,
          )
        : http.request(target, { method: 'GET', agent: false, headers }, onResponse);
    request.setTimeout(timeoutMs, () =>
      request.destroy(new Error(`GET ${url} timed out after ${timeoutMs}ms`)),
    );
    request.on('error', reject);
    request.end();
  });
}

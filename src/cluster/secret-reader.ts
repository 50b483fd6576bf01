import type { KubeClient } from '../kube-api/client.js';
import type { SecretReader } from '../providers/shared/secrets.js';

/** Secrets by GET, decoded. The operator's RBAC allows this only in its own namespace. */
export class KubeSecretReader implements SecretReader {
  constructor(private readonly client: KubeClient) {}

  async read(namespace: string, name: string): Promise<Record<string, string>> {
    const secret = await this.client.request<{ data?: Record<string, string> }>(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`,
    );
    return Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    );
  }
}

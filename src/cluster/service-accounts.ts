import { isNotFound, type KubeClient } from '../kube-api/client.js';
import type { ServiceAccountState, ServiceAccounts } from '../reconcilers/ports.js';
import { FIELD_MANAGER } from './field-manager.js';
import { serviceAccountPath } from './resources.js';

interface ServiceAccountObject {
  metadata?: { annotations?: Record<string, string> };
}

/**
 * ServiceAccount annotations by server-side apply with the field manager `keyless`. Apply never
 * forces: an annotation another manager owns is a conflict to report, not to overwrite.
 */
export class KubeServiceAccounts implements ServiceAccounts {
  constructor(private readonly client: KubeClient) {}

  async get(namespace: string, name: string, signal?: AbortSignal): Promise<ServiceAccountState> {
    try {
      const sa = await this.client.request<ServiceAccountObject>('GET', serviceAccountPath(namespace, name), {
        ...(signal ? { signal } : {}),
      });
      return { exists: true, annotations: sa.metadata?.annotations ?? {} };
    } catch (err) {
      if (isNotFound(err)) return { exists: false, annotations: {} };
      throw err;
    }
  }

  async applyAnnotations(
    namespace: string,
    name: string,
    annotations: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.client.write('PATCH', serviceAccountPath(namespace, name), {
      ...(signal ? { signal } : {}),
      body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, annotations } },
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: FIELD_MANAGER, force: 'false' },
    });
  }
}

import { KubeSecretReader } from '../../src/cluster/secret-reader.js';
import { KubeClient } from '../../src/kube-api/client.js';
import { createAzureProvider } from '../../src/providers/azure/provider.js';
import { cloudRegistry } from '../../src/providers/registry/registry.js';
import { type AzureFake, startAzureFake } from './azure-fake/index.js';
import type { CloudBackend, CloudWorldOptions } from './cloud-world.js';

export const AZURE_SUBSCRIPTION = '00000000-0000-0000-0000-000000000001';
export const AZURE_TENANT = '00000000-0000-0000-0000-0000000000aa';
export const AZURE_RESOURCE_GROUP = 'keyless';
export const AZURE_ACCOUNT_NAME = 'azure-test';

export interface AzureBackend extends CloudBackend {
  fake: AzureFake;
}

/**
 * The ARM fake and the real Azure provider, for describeWithCloud; the Azure suites share it.
 * `spec` adds to the CloudAccount's spec (guardrails, resyncInterval).
 */
export function azureWorld(spec: Record<string, unknown> = {}): CloudWorldOptions<AzureBackend> {
  return {
    accountName: AZURE_ACCOUNT_NAME,
    async start() {
      const fake = await startAzureFake({
        subscriptions: [
          {
            subscriptionId: AZURE_SUBSCRIPTION,
            tenantId: AZURE_TENANT,
            resourceGroups: [AZURE_RESOURCE_GROUP, 'shop'],
          },
        ],
        // Credential writes take long enough to overlap, so concurrent writes would be refused.
        ficWriteMs: 50,
      });
      return { fake, endpoint: fake.endpoint, secretData: { access_token: 'test' }, stop: () => fake.stop() };
    },
    accountSpec: (_backend, controlPlane) => ({
      provider: 'azure',
      azure: {
        subscriptionId: AZURE_SUBSCRIPTION,
        tenantId: AZURE_TENANT,
        resourceGroup: AZURE_RESOURCE_GROUP,
        location: 'westeurope',
        issuerUrl: controlPlane.issuerUrl,
      },
      ...spec,
    }),
    // The fake's throwaway CA is trusted by this provider only (in a cluster: NODE_EXTRA_CA_CERTS).
    providers: (backend, controlPlane) => {
      const secrets = new KubeSecretReader(new KubeClient(controlPlane.kubeConfig()));
      return cloudRegistry({
        azure: (account) => createAzureProvider(account, { secrets, ca: backend.fake.caPem }),
      });
    },
  };
}

/** A self-contained admin kubeconfig (certificates embedded). */
import { stringify } from 'yaml';

export interface AdminKubeconfig {
  readonly name: string;
  readonly server: string;
  readonly caPem: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
}

const base64 = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64');

export function adminKubeconfigYaml(config: AdminKubeconfig): string {
  const { name } = config;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name, cluster: { server: config.server, 'certificate-authority-data': base64(config.caPem) } },
    ],
    users: [
      {
        name: `${name}-admin`,
        user: {
          'client-certificate-data': base64(config.clientCertPem),
          'client-key-data': base64(config.clientKeyPem),
        },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

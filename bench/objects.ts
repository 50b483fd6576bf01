import {
  identityBinding as bindingManifest,
  workloadIdentity as identityManifest,
} from '../test/support/keyless-objects.js';
import type { Manifest } from '../test/support/kube-manifests.js';

/** The one CloudAccount every benchmark object uses (the in-memory cloud serves every account). */
export const ACCOUNT = 'bench';
/** Objects per namespace: N objects spread over N / 100 namespaces, as many teams would. */
const PER_NAMESPACE = 100;

export const namespaceOf = (i: number): string => `bench-${Math.floor(i / PER_NAMESPACE)}`;
export const identityName = (i: number): string => `wi-${i}`;
export const bindingName = (i: number): string => `ib-${i}`;

export function namespaces(n: number): Manifest[] {
  return Array.from({ length: Math.ceil(n / PER_NAMESPACE) }, (_, k) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: `bench-${k}` },
  }));
}

export function cloudAccount(resyncMs: number): Manifest {
  return {
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'CloudAccount',
    metadata: { name: ACCOUNT },
    spec: {
      provider: 'aws',
      aws: {
        accountId: '123456789012',
        region: 'eu-west-1',
        oidcProvider: { issuerUrl: 'https://oidc.bench.example' },
      },
      resyncInterval: `${Math.round(resyncMs / 1000)}s`,
    },
  };
}

/** WorkloadIdentity i: one ServiceAccount subject that Keyless creates, as most workloads have. */
export function workloadIdentity(i: number): Manifest {
  return identityManifest(identityName(i), ACCOUNT, {}, namespaceOf(i));
}

/** IdentityBinding i: read access to one bucket for WorkloadIdentity i. */
export function identityBinding(i: number): Manifest {
  return bindingManifest(
    bindingName(i),
    identityName(i),
    [{ resource: `arn:aws:s3:::bench-${i}`, access: 'read' }],
    {},
    namespaceOf(i),
  );
}

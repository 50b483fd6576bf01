import {
  identityBinding as bindingManifest,
  workloadIdentity as identityManifest,
} from '../test/support/keyless-objects.js';
import type { Manifest } from '../test/support/kube-manifests.js';
import { MOTO_ACCOUNT_ID, MOTO_REGION, type MotoCredentials } from '../test/support/moto/aws.js';
import { OPERATOR_NAMESPACE } from '../test/support/operator-harness.js';

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

/** The Secret the AWS CloudAccount's credentials come from, in the operator's namespace. */
export const AWS_CREDENTIALS_SECRET = 'bench-aws-credentials';

export function awsCredentialsSecret(credentials: MotoCredentials): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: AWS_CREDENTIALS_SECRET, namespace: OPERATOR_NAMESPACE },
    stringData: {
      aws_access_key_id: credentials.accessKeyId,
      aws_secret_access_key: credentials.secretAccessKey,
    },
  };
}

/**
 * The CloudAccount of the moto scenario, as the integration tests' AWS account: moto's account and
 * region behind `endpoint`, credentials from the Secret, and the cluster's IAM OIDC provider for
 * `issuerUrl` managed by Keyless (created on the first account check), which every role's trust names.
 */
export function awsCloudAccount(resyncMs: number, endpoint: string, issuerUrl: string): Manifest {
  return {
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'CloudAccount',
    metadata: { name: ACCOUNT },
    spec: {
      provider: 'aws',
      credentials: {
        source: 'Secret',
        secretRef: { name: AWS_CREDENTIALS_SECRET, namespace: OPERATOR_NAMESPACE },
      },
      endpoint,
      aws: {
        accountId: MOTO_ACCOUNT_ID,
        region: MOTO_REGION,
        oidcProvider: { issuerUrl, manage: true },
      },
      resyncInterval: `${Math.round(resyncMs / 1000)}s`,
    },
  };
}

/** WorkloadIdentity i: one ServiceAccount subject that Keyless creates, as most workloads have. */
export function workloadIdentity(i: number): Manifest {
  return identityManifest(identityName(i), ACCOUNT, {}, namespaceOf(i));
}

/**
 * IdentityBinding i: read access to one bucket for WorkloadIdentity i. On AWS (the moto scenario)
 * it is the role's one inline S3-read policy.
 */
export function identityBinding(i: number): Manifest {
  return bindingManifest(
    bindingName(i),
    identityName(i),
    [{ resource: `arn:aws:s3:::bench-${i}`, access: 'read' }],
    {},
    namespaceOf(i),
  );
}

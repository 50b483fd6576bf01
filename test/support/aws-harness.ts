import type { KubeClient } from '../../src/kube-api/client.js';
import { roleName } from '../../src/providers/aws/mapping.js';
import { type CloudBackend, CREDENTIALS_SECRET, cloudAccount, describeWithCloud } from './cloud-world.js';
import type { ControlPlane } from './control-plane/index.js';
import { type EksFake, startEksFake } from './eks-fake/index.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy/index.js';
import { apply, type Manifest } from './kube-manifests.js';
import { type LastAccessedShim, lastAccessedShim } from './last-accessed-shim.js';
import {
  bootstrapAdmin,
  MOTO_ACCOUNT_ID,
  MOTO_REGION,
  type Moto,
  type MotoCredentials,
  motoAvailability,
  shouldSkipMotoTests,
  startMoto,
  TEST_CREDENTIALS,
} from './moto/index.js';
import { OPERATOR_NAMESPACE, type RunningOperator } from './operator-harness.js';

export interface AwsWorld {
  controlPlane(): ControlPlane;
  moto(): Moto;
  /** In front of moto: counts calls by IAM/STS action and injects faults. */
  proxy(): FaultProxy;
  /** The EKS Pod Identity API moto lacks, behind the same proxy; its cluster is the account's. */
  eks(): EksFake;
  /** IAM's service-last-accessed calls, which moto lacks, answered in front of it (an empty report by default). */
  lastAccessed(): LastAccessedShim;
  admin(): KubeClient;
  operator(): RunningOperator;
  /** The credentials the operator signs with (an IAM admin when moto enforces IAM). */
  credentials(): MotoCredentials;
}

interface AwsBackend extends CloudBackend {
  moto: Moto;
  proxy: FaultProxy;
  eks: EksFake;
  lastAccessed: LastAccessedShim;
  credentials: MotoCredentials;
}

export const AWS_ACCOUNT_NAME = 'aws-test';
/** The EKS cluster the test CloudAccount names (spec.aws.eksCluster), held by the EKS fake. */
export const EKS_CLUSTER = 'keyless-it';
/** The EKS Pod Identity association paths, which the proxy sends to the EKS fake. */
const POD_IDENTITY_PATHS = /^\/clusters\/[^/]+\/pod-identity-associations(\/|$)/;

/**
 * describeWithCloud for AWS: moto (optionally enforcing IAM) behind a fault proxy, and a
 * CloudAccount pointing at the proxy whose OIDC provider Keyless manages for this cluster's issuer.
 */
export function describeWithAws(
  name: string,
  body: (world: AwsWorld) => void,
  options: {
    enforceIam?: boolean;
    resyncInterval?: string;
    operatorArgs?: string[];
    /** The CloudAccount's spec.review. */
    review?: Record<string, string>;
  } = {},
): void {
  describeWithCloud<AwsBackend>(
    name,
    {
      accountName: AWS_ACCOUNT_NAME,
      ...(options.operatorArgs ? { operatorArgs: options.operatorArgs } : {}),
      async start() {
        const availability = motoAvailability();
        if (availability.kind === 'unavailable') throw new Error(availability.reason);
        const moto = await startMoto({
          python: availability.python,
          enforceIam: options.enforceIam ?? false,
        });
        const eks = await startEksFake({
          clusters: [{ name: EKS_CLUSTER, region: MOTO_REGION, accountId: MOTO_ACCOUNT_ID }],
        });
        const proxy = await startFaultProxy({
          target: moto.endpoint,
          routes: [{ path: POD_IDENTITY_PATHS, target: eks.endpoint }],
        });
        const credentials = options.enforceIam ? await bootstrapAdmin(moto) : TEST_CREDENTIALS;
        const lastAccessed = lastAccessedShim(proxy);
        lastAccessed.answer([]);
        return {
          moto,
          proxy,
          eks,
          lastAccessed,
          credentials,
          endpoint: proxy.endpoint,
          secretData: {
            aws_access_key_id: credentials.accessKeyId,
            aws_secret_access_key: credentials.secretAccessKey,
          },
          stop: async () => {
            await proxy.stop();
            await eks.stop();
            await moto.stop();
          },
        };
      },
      accountSpec: (_backend, controlPlane) => ({
        ...awsAccountSpec(controlPlane.issuerUrl, options.resyncInterval ?? '2s'),
        ...(options.review ? { review: options.review } : {}),
      }),
    },
    (world) =>
      body({
        controlPlane: world.controlPlane,
        admin: world.admin,
        operator: world.operator,
        moto: () => world.backend().moto,
        proxy: () => world.backend().proxy,
        eks: () => world.backend().eks,
        lastAccessed: () => world.backend().lastAccessed,
        credentials: () => world.backend().credentials,
      }),
    shouldSkipMotoTests(),
  );
}

function awsAccountSpec(issuerUrl: string, resyncInterval: string): Record<string, unknown> {
  return {
    provider: 'aws',
    aws: {
      accountId: MOTO_ACCOUNT_ID,
      region: MOTO_REGION,
      oidcProvider: { issuerUrl, manage: true },
      eksCluster: { name: EKS_CLUSTER },
    },
    resyncInterval,
  };
}

/** Another AWS CloudAccount using the suite's credentials, e.g. behind a proxy of its own. */
export function awsAccount(
  endpoint: string,
  issuerUrl: string,
  resyncInterval: string,
  name = AWS_ACCOUNT_NAME,
): Manifest {
  return cloudAccount(name, awsAccountSpec(issuerUrl, resyncInterval), endpoint);
}

/** The name Keyless gives the role of WorkloadIdentity `namespace/name` in the tests' cluster `it` on moto. */
export function motoRoleName(name: string, issuerUrl: string, namespace = 'shop'): string {
  return roleName(
    { cluster: 'it', namespace, name, uid: '' },
    { accountId: MOTO_ACCOUNT_ID, region: MOTO_REGION, oidcProvider: { issuerUrl } },
  );
}

/** The credentials Secret a CloudAccount of `awsAccount` reads: moto's test keys, in the operator's namespace. */
export async function applyMotoCredentials(admin: KubeClient): Promise<void> {
  await apply(admin, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: CREDENTIALS_SECRET, namespace: OPERATOR_NAMESPACE },
    stringData: {
      aws_access_key_id: TEST_CREDENTIALS.accessKeyId,
      aws_secret_access_key: TEST_CREDENTIALS.secretAccessKey,
    },
  });
}

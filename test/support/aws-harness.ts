import { afterAll, beforeAll, describe } from 'vitest';
import { KubeClient } from '../../src/runtime/kube-client.js';
import { type ControlPlane, shouldSkipControlPlaneTests, useControlPlane } from './control-plane/index.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy/index.js';
import { apply, type Manifest } from './kube-manifests.js';
import {
  bootstrapAdmin,
  MOTO_ACCOUNT_ID,
  MOTO_REGION,
  type Moto,
  type MotoCredentials,
  shouldSkipMotoTests,
  TEST_CREDENTIALS,
  useMoto,
} from './moto/index.js';
import {
  installKeyless,
  OPERATOR_NAMESPACE,
  operatorKubeConfig,
  type RunningOperator,
  startOperator,
} from './operator-harness.js';

export interface AwsWorld {
  controlPlane(): ControlPlane;
  moto(): Moto;
  /** In front of moto: counts calls by IAM/STS action and injects faults. */
  proxy(): FaultProxy;
  admin(): KubeClient;
  operator(): RunningOperator;
  /** The credentials the operator signs with (an IAM admin when moto enforces IAM). */
  credentials(): MotoCredentials;
}

export const AWS_ACCOUNT_NAME = 'aws-test';

/**
 * A real API server, moto behind a fault proxy, Keyless installed, a credentials Secret, a
 * CloudAccount pointing at the proxy (its OIDC provider managed, for this cluster's issuer) and
 * the operator running in-process with the real AWS provider as its own ServiceAccount.
 */
export function describeWithAws(
  name: string,
  body: (world: AwsWorld) => void,
  options: { enforceIam?: boolean; resyncInterval?: string } = {},
): void {
  describe.skipIf(shouldSkipControlPlaneTests() || shouldSkipMotoTests())(name, () => {
    const controlPlane = useControlPlane();
    const moto = useMoto({ enforceIam: options.enforceIam ?? false });
    let proxy: FaultProxy | undefined;
    let admin: KubeClient | undefined;
    let operator: RunningOperator | undefined;
    let credentials: MotoCredentials = TEST_CREDENTIALS;

    beforeAll(async () => {
      proxy = await startFaultProxy({ target: moto().endpoint });
      if (options.enforceIam) credentials = await bootstrapAdmin(moto());
      admin = new KubeClient(controlPlane().kubeConfig());
      await installKeyless(admin);
      await apply(admin, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
      await apply(admin, credentialsSecret(credentials));
      await apply(
        admin,
        awsAccount(proxy.endpoint, controlPlane().issuerUrl, options.resyncInterval ?? '2s'),
      );
      operator = await startOperator({
        kubeConfig: await operatorKubeConfig(controlPlane()),
        realClouds: true,
        args: ['--leader-elect=false'],
      });
    });

    afterAll(async () => {
      await operator?.stop();
      await proxy?.stop();
    });

    const need = <T>(value: T | undefined, what: string): T => {
      if (value === undefined) throw new Error(`${what} is not ready: use it inside tests or hooks`);
      return value;
    };
    body({
      controlPlane,
      moto,
      proxy: () => need(proxy, 'the proxy'),
      admin: () => need(admin, 'the admin client'),
      operator: () => need(operator, 'the operator'),
      credentials: () => credentials,
    });
  });
}

export function credentialsSecret(credentials: MotoCredentials): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'aws-credentials', namespace: OPERATOR_NAMESPACE },
    stringData: {
      aws_access_key_id: credentials.accessKeyId,
      aws_secret_access_key: credentials.secretAccessKey,
    },
  };
}

export function awsAccount(endpoint: string, issuerUrl: string, resyncInterval: string): Manifest {
  return {
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'CloudAccount',
    metadata: { name: AWS_ACCOUNT_NAME },
    spec: {
      provider: 'aws',
      aws: { accountId: MOTO_ACCOUNT_ID, region: MOTO_REGION, oidcProvider: { issuerUrl, manage: true } },
      credentials: {
        source: 'Secret',
        secretRef: { name: 'aws-credentials', namespace: OPERATOR_NAMESPACE },
      },
      endpoint,
      resyncInterval,
    },
  };
}

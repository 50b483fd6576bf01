import { afterAll, beforeAll, describe } from 'vitest';
import { KubeClient } from '../../src/kube-api/client.js';
import type { ProviderRegistry } from '../../src/providers/provider.js';
import { type ControlPlane, shouldSkipControlPlaneTests, useControlPlane } from './control-plane/index.js';
import { apply, type Manifest } from './kube-manifests.js';
import {
  installKeyless,
  OPERATOR_NAMESPACE,
  operatorKubeConfig,
  type RunningOperator,
  startOperator,
} from './operator-harness.js';

/** A cloud emulator or fake, started for one suite. */
export interface CloudBackend {
  /** Where the operator's CloudAccount points (`spec.endpoint`). */
  endpoint: string;
  /** The credentials Secret's data (stringData), in the operator's namespace. */
  secretData: Record<string, string>;
  stop(): Promise<void>;
}

export interface CloudWorld<B extends CloudBackend> {
  controlPlane(): ControlPlane;
  backend(): B;
  admin(): KubeClient;
  operator(): RunningOperator;
}

export interface CloudWorldOptions<B extends CloudBackend> {
  /** Starts the emulator (after the control plane). */
  start(controlPlane: ControlPlane): Promise<B>;
  /** The CloudAccount's spec for this backend, with credentials and endpoint filled in by the world. */
  accountSpec(backend: B, controlPlane: ControlPlane): Record<string, unknown>;
  accountName: string;
  /** Providers of the test's own making; default: the operator's real clouds. */
  providers?(backend: B, kubeConfig: ControlPlane): ProviderRegistry;
  /** Extra operator flags, e.g. a short --reconcile-timeout. */
  operatorArgs?: string[];
}

export const CREDENTIALS_SECRET = 'cloud-credentials';

/**
 * A real API server, a cloud backend, Keyless installed with a credentials Secret and a CloudAccount
 * for the backend, and the operator running in-process with the real providers as its own
 * ServiceAccount. Skipped (or failed under CI=true) when no control plane is available.
 */
export function describeWithCloud<B extends CloudBackend>(
  name: string,
  options: CloudWorldOptions<B>,
  body: (world: CloudWorld<B>) => void,
  skip = false,
): void {
  describe.skipIf(skip || shouldSkipControlPlaneTests())(name, () => {
    const controlPlane = useControlPlane();
    let backend: B | undefined;
    let admin: KubeClient | undefined;
    let operator: RunningOperator | undefined;

    beforeAll(async () => {
      backend = await options.start(controlPlane());
      admin = new KubeClient(controlPlane().kubeConfig());
      await installKeyless(admin);
      await apply(admin, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
      await apply(admin, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: CREDENTIALS_SECRET, namespace: OPERATOR_NAMESPACE },
        stringData: backend.secretData,
      });
      await apply(
        admin,
        cloudAccount(options.accountName, options.accountSpec(backend, controlPlane()), backend.endpoint),
      );
      const providers = options.providers?.(backend, controlPlane());
      operator = await startOperator({
        kubeConfig: await operatorKubeConfig(controlPlane()),
        realClouds: true,
        ...(providers ? { providers } : {}),
        args: ['--leader-elect=false', ...(options.operatorArgs ?? [])],
      });
    });

    afterAll(async () => {
      await operator?.stop();
      await backend?.stop();
    });

    const need = <T>(value: T | undefined, what: string): T => {
      if (value === undefined) throw new Error(`${what} is not ready: use it inside tests or hooks`);
      return value;
    };
    body({
      controlPlane,
      backend: () => need(backend, 'the cloud backend'),
      admin: () => need(admin, 'the admin client'),
      operator: () => need(operator, 'the operator'),
    });
  });
}

/** A CloudAccount whose credentials come from the world's Secret. */
export function cloudAccount(name: string, spec: Record<string, unknown>, endpoint: string): Manifest {
  return {
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'CloudAccount',
    metadata: { name },
    spec: {
      credentials: {
        source: 'Secret',
        secretRef: { name: CREDENTIALS_SECRET, namespace: OPERATOR_NAMESPACE },
      },
      endpoint,
      resyncInterval: '2s',
      ...spec,
    },
  };
}

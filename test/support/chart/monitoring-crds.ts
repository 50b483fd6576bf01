import { join } from 'node:path';
import type { KubeClient } from '../../../src/kube-api/client.js';
import { installCrds, readManifestFile } from '../kube-manifests.js';
import { goModuleDir } from './go-module.js';

const MODULE = 'github.com/prometheus-operator/prometheus-operator';
const CRD_FILES = [
  'monitoring.coreos.com_servicemonitors.yaml',
  'monitoring.coreos.com_prometheusrules.yaml',
];

/**
 * The ServiceMonitor and PrometheusRule CRDs as prometheus-operator publishes them (the version in
 * tools/prometheus-operator-crds/go.mod), installed and Established.
 */
export async function installMonitoringCrds(client: KubeClient): Promise<void> {
  const dir = join(
    await goModuleDir('prometheus-operator-crds', MODULE),
    'example',
    'prometheus-operator-crd',
  );
  await installCrds(
    client,
    CRD_FILES.flatMap((file) => readManifestFile(join(dir, file))),
  );
}

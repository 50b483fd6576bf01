/**
 * `npm run control-plane:build`: builds kube-apiserver, etcd and kubectl for the integration tests
 * into `$XDG_CACHE_HOME/keyless/control-plane/<k8s version>/` (default `~/.cache/...`). Builds only
 * what is missing; a no-op when all are cached.
 */
import { ensureControlPlaneBuilt } from '../test/support/control-plane/go-build.js';

try {
  const result = await ensureControlPlaneBuilt();
  const what =
    result.built.length > 0
      ? `built ${result.built.join(', ')} in ${result.seconds}s`
      : `already cached (checked in ${result.seconds}s)`;
  console.log(
    `control plane Kubernetes ${result.versions.kubernetes}, etcd ${result.versions.etcd}: ${what}`,
  );
  console.log(`kube-apiserver: ${result.kubeApiServer}`);
  console.log(`etcd:           ${result.etcd}`);
  console.log(`kubectl:        ${result.kubectl}`);
  console.log(`use elsewhere:  KUBEBUILDER_ASSETS=${result.dir}`);
} catch (error) {
  console.error('control-plane build failed:', error);
  process.exitCode = 1;
}

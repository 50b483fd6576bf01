/**
 * The k3s control plane (test/support/control-plane/k3s.ts), for machines with a Docker engine and
 * no Go: it serves the generated CRDs and its service-account issuer's discovery, as the tests need.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube-api/client.js';
import { k3sImage } from '../support/control-plane/binaries.js';
import { isDockerEngineReachable } from '../support/control-plane/docker.js';
import type { ControlPlane } from '../support/control-plane/index.js';
import { startK3sControlPlane } from '../support/control-plane/k3s.js';
import { installCrds } from '../support/kube-manifests.js';

const docker = await isDockerEngineReachable();
if (!docker) {
  console.info(
    '[k3s] skipped: no Docker engine answers (DOCKER_HOST, /var/run/docker.sock); the k3s control plane runs where one does',
  );
}

describe.skipIf(!docker)('a k3s control plane', () => {
  let controlPlane: ControlPlane | undefined;

  beforeAll(async () => {
    controlPlane = await startK3sControlPlane({ kind: 'k3s', image: k3sImage() });
  });

  afterAll(async () => {
    await controlPlane?.stop();
  });

  it('serves the generated CRDs and the OIDC discovery of its issuer', async () => {
    if (!controlPlane) throw new Error('k3s did not start');
    const admin = new KubeClient(controlPlane.kubeConfig());
    await installCrds(admin);
    const discovery = await admin.request<{ issuer: string }>('GET', '/.well-known/openid-configuration');
    expect(discovery.issuer).toBe(controlPlane.issuerUrl);
    const resources = await admin.request<{ resources: { name: string }[] }>(
      'GET',
      '/apis/keyless.dev/v1alpha1',
    );
    expect(
      resources.resources
        .map((r) => r.name)
        .filter((n) => !n.includes('/'))
        .sort(),
    ).toEqual(['cloudaccounts', 'identitybindings', 'workloadidentities']);
  });
});

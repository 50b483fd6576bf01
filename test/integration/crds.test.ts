import { beforeAll, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube-api/client.js';
import { describeWithControlPlane } from '../support/control-plane/index.js';
import { loadExamples } from '../support/examples.js';
import { INVALID_OBJECTS, VALID_EDGE_OBJECTS } from '../support/invalid-objects.js';
import { installCrds, type Manifest, pathOf, waitFor } from '../support/kube-manifests.js';

describeWithControlPlane('the generated CRDs on a real API server', (controlPlane) => {
  let admin: KubeClient;

  beforeAll(async () => {
    admin = new KubeClient(controlPlane().kubeConfig());
    await installCrds(admin);
  });

  it('serve every kind under the keyless category with its short name', async () => {
    // Discovery catches up with Established CRDs a moment later, on a busy machine.
    const served = await waitFor('discovery to list the three kinds', async () => {
      const resources = await admin.request<{
        resources: { name: string; shortNames?: string[]; categories?: string[] }[];
      }>('GET', '/apis/keyless.dev/v1alpha1');
      const kinds = resources.resources
        .filter((r) => !r.name.includes('/'))
        .map((r) => ({ name: r.name, shortNames: r.shortNames, categories: r.categories }))
        .sort((a, b) => a.name.localeCompare(b.name));
      return kinds.length === 3 && kinds;
    });
    expect(served).toEqual([
      { name: 'cloudaccounts', shortNames: ['ca'], categories: ['keyless'] },
      { name: 'identitybindings', shortNames: ['ib'], categories: ['keyless'] },
      { name: 'workloadidentities', shortNames: ['wi'], categories: ['keyless'] },
    ]);
  });

  it('accept every example (server-side dry run)', async () => {
    for (const { file, object } of loadExamples()) {
      if (!object.apiVersion.startsWith('keyless.dev/')) continue;
      const manifest = {
        ...object,
        metadata: { ...object.metadata, namespace: object.metadata.namespace ? 'default' : undefined },
      } as Manifest;
      await expect(
        admin.request('POST', pathOf(manifest), { body: manifest, query: { dryRun: 'All' } }),
        file,
      ).resolves.toMatchObject({ kind: object.kind });
    }
  });

  it.each(VALID_EDGE_OBJECTS)('accept $name (server-side dry run)', async ({ object }) => {
    await expect(
      admin.request('POST', pathOf(object as Manifest), { body: object, query: { dryRun: 'All' } }),
    ).resolves.toMatchObject({ kind: object.kind });
  });

  it.each(INVALID_OBJECTS)('refuse $name, naming the field', async ({ object, field, message }) => {
    const error = await admin
      .request('POST', pathOf(object as Manifest), { body: object, query: { dryRun: 'All' } })
      .then(
        () => undefined,
        (err: { statusCode?: number; body?: { message?: string } }) => err,
      );
    expect(error?.statusCode).toBe(422);
    expect(error?.body?.message).toContain(field);
    expect(error?.body?.message).toContain(message);
  });
});

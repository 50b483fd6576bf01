import { beforeAll, expect, it } from 'vitest';
import type { WorkloadIdentity } from '../../../src/api/index.js';
import { KubeClusterWriter } from '../../../src/cluster/cluster-writer.js';
import { KubeClient } from '../../../src/kube-api/client.js';
import { FINALIZER } from '../../../src/reconcilers/requests.js';
import { describeWithControlPlane } from '../../support/control-plane/index.js';
import { workloadIdentity } from '../../support/keyless-objects.js';
import { installCrds, pathOf } from '../../support/kube-manifests.js';

const THEIRS = 'other.example.com/protect';

interface ManagedFieldsEntry {
  manager: string;
  subresource?: string;
  fieldsV1?: object;
}
const MINE_TOO = 'backup.example.com/hold';

describeWithControlPlane('KubeClusterWriter finalizers on a real API server', (controlPlane) => {
  let admin: KubeClient;
  let writer: KubeClusterWriter;

  beforeAll(async () => {
    admin = new KubeClient(controlPlane().kubeConfig());
    writer = new KubeClusterWriter(new KubeClient(controlPlane().kubeConfig()));
    await installCrds(admin);
  });

  /** Creates the identity and returns it as the informer cache would have it: as created. */
  async function created(name: string, finalizers?: string[]): Promise<WorkloadIdentity> {
    const manifest = workloadIdentity(name, 'acct', {}, 'default');
    if (finalizers) manifest.metadata.finalizers = finalizers;
    return admin.request<WorkloadIdentity>('POST', pathOf(manifest), { body: manifest });
  }

  /** Another controller (a second manager) adds its finalizer the way controller-runtime does. */
  async function anotherManagerAdds(cached: WorkloadIdentity, finalizer: string): Promise<void> {
    const current = await read(cached);
    await admin.request('PUT', pathOf(asManifest(cached), cached.metadata.name), {
      body: {
        ...current,
        metadata: { ...current.metadata, finalizers: [...(current.metadata.finalizers ?? []), finalizer] },
      },
    });
  }

  function countingWriter(): { writer: KubeClusterWriter; requests: string[] } {
    const requests: string[] = [];
    const client = new KubeClient(controlPlane().kubeConfig());
    client.onRequest((verb, _path, code) => requests.push(`${verb} ${code}`));
    return { writer: new KubeClusterWriter(client), requests };
  }

  const read = (object: WorkloadIdentity) =>
    admin.request<WorkloadIdentity>('GET', pathOf(asManifest(object), object.metadata.name));

  it('keeps a finalizer another manager added after the cache last saw the object with none', async () => {
    const cached = await created('none-cached');
    await anotherManagerAdds(cached, THEIRS);
    const { writer, requests } = countingWriter();

    await writer.addFinalizer('WorkloadIdentity', cached, FINALIZER);

    expect((await read(cached)).metadata.finalizers).toEqual([THEIRS, FINALIZER]);
    // The stale patch is refused (a failed JSON patch test), the object read again, the add retried.
    expect(requests).toEqual(['PATCH 422', 'GET 200', 'PATCH 200']);
  });

  it('keeps a finalizer another manager appended to a list the cache had seen', async () => {
    const cached = await created('some-cached', [MINE_TOO]);
    await anotherManagerAdds(cached, THEIRS);

    await writer.addFinalizer('WorkloadIdentity', cached, FINALIZER);

    expect((await read(cached)).metadata.finalizers).toEqual([MINE_TOO, THEIRS, FINALIZER]);
  });

  it('adds no second copy when its own finalizer reached the server after the cached copy', async () => {
    const cached = await created('own-already-there', [MINE_TOO]);
    await anotherManagerAdds(cached, FINALIZER);

    await writer.addFinalizer('WorkloadIdentity', cached, FINALIZER);

    // A second copy would outlive removeFinalizer (it removes one) and block the deletion for good.
    expect((await read(cached)).metadata.finalizers).toEqual([MINE_TOO, FINALIZER]);
  });

  it('adds its finalizer in one request when the cache is current', async () => {
    const cached = await created('current');
    const { writer, requests } = countingWriter();

    await writer.addFinalizer('WorkloadIdentity', cached, FINALIZER);

    expect(requests).toEqual(['PATCH 200']);
    expect((await read(cached)).metadata.finalizers).toEqual([FINALIZER]);
  });

  it('records its finalizer and status in managedFields under the field manager keyless', async () => {
    const cached = await created('field-manager');
    await writer.addFinalizer('WorkloadIdentity', cached, FINALIZER);
    await writer.writeStatus('WorkloadIdentity', cached, { observedGeneration: 1 });

    const { metadata } = (await read(cached)) as { metadata: { managedFields?: ManagedFieldsEntry[] } };
    const entries = metadata.managedFields ?? [];
    const owner = (field: string, subresource?: string) =>
      entries
        .filter((e) => e.subresource === subresource && JSON.stringify(e.fieldsV1 ?? {}).includes(field))
        .map((e) => e.manager);
    expect(owner('"f:finalizers"')).toEqual(['keyless']);
    expect(owner('"f:observedGeneration"', 'status')).toEqual(['keyless']);
  });

  it('removes only its own finalizer, leaving another manager’s', async () => {
    const cached = await created('remove-own', [THEIRS]);
    await writer.addFinalizer('WorkloadIdentity', cached, FINALIZER);

    await writer.removeFinalizer('WorkloadIdentity', await read(cached), FINALIZER);

    expect((await read(cached)).metadata.finalizers).toEqual([THEIRS]);
  });

  it('takes an object that is already gone as having no finalizer to remove', async () => {
    const cached = await created('removed-elsewhere', [FINALIZER]);
    await admin.request('DELETE', pathOf(asManifest(cached), cached.metadata.name));
    await admin.request('PATCH', pathOf(asManifest(cached), cached.metadata.name), {
      body: { metadata: { finalizers: null } },
      contentType: 'application/merge-patch+json',
    });

    await expect(writer.removeFinalizer('WorkloadIdentity', cached, FINALIZER)).resolves.toBeUndefined();
  });

  it('says which object it could not add the finalizer to when the object is gone', async () => {
    const cached = await created('gone');
    await admin.request('DELETE', pathOf(asManifest(cached), cached.metadata.name));

    await expect(writer.addFinalizer('WorkloadIdentity', cached, FINALIZER)).rejects.toThrow(
      `adding finalizer ${FINALIZER} on WorkloadIdentity default/gone`,
    );
  });
});

function asManifest(object: WorkloadIdentity) {
  return {
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'WorkloadIdentity',
    metadata: { name: object.metadata.name, namespace: object.metadata.namespace },
  };
}

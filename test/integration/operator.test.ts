import { afterAll, beforeAll, expect, it } from 'vitest';
import type { IdentityBinding, WorkloadIdentity } from '../../src/api/index.js';
import { KubeClient } from '../../src/kube-api/client.js';
import { PRINCIPALS_SETTLE_MS } from '../../src/wake-ups.js';
import { describeWithControlPlane } from '../support/control-plane/index.js';
import { loadExamples } from '../support/examples.js';
import { eventsIn } from '../support/keyless-objects.js';
import { apply, get, type Manifest, remove, waitFor } from '../support/kube-manifests.js';
import {
  counterValue,
  installKeyless,
  operatorKubeConfig,
  type RunningOperator,
  startOperator,
} from '../support/operator-harness.js';

type Conditioned = Manifest & {
  status?: WorkloadIdentity['status'] & { conditions?: { type: string; status: string; reason: string }[] };
};

const ready = (object: Conditioned | undefined) =>
  object?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? object : undefined;

describeWithControlPlane('the operator on a real API server, as its own ServiceAccount', (controlPlane) => {
  let admin: KubeClient;
  let running: RunningOperator;

  beforeAll(async () => {
    admin = new KubeClient(controlPlane().kubeConfig());
    await installKeyless(admin);
    running = await startOperator({
      kubeConfig: await operatorKubeConfig(controlPlane()),
      args: ['--leader-elect=false'],
    });
  });

  afterAll(async () => {
    await running?.stop();
  });

  it('reconciles every example to Ready', async () => {
    const examples = loadExamples().map((e) => e.object as Manifest);
    for (const manifest of examples) await apply(admin, manifest);
    for (const manifest of examples.filter((m) => m.apiVersion.startsWith('keyless.dev/'))) {
      const object = await waitFor(`${manifest.kind} ${manifest.metadata.name} Ready`, async () =>
        ready(await get<Conditioned>(admin, manifest)),
      );
      expect(object.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toContain('Synced=True');
    }
    const wi = (await get<WorkloadIdentity>(
      admin,
      examples.find((m) => m.metadata.name === 'orders-api') as Manifest,
    )) as WorkloadIdentity;
    expect(wi.metadata.finalizers).toEqual(['keyless.dev/cleanup']);
    const account = await get<Manifest>(
      admin,
      examples.find((m) => m.metadata.name === 'aws-prod') as Manifest,
    );
    expect(account?.metadata.finalizers).toEqual(['keyless.dev/cleanup']);
    expect(wi.status?.observedGeneration).toBe(wi.metadata.generation);
    const sa = await admin.request<Manifest>('GET', '/api/v1/namespaces/shop/serviceaccounts/orders-api');
    expect((sa.metadata.annotations as Record<string, string>)['eks.amazonaws.com/role-arn']).toBe(
      wi.status?.principal?.id,
    );
    const binding = await admin.request<IdentityBinding>(
      'GET',
      '/apis/keyless.dev/v1alpha1/namespaces/shop/identitybindings/reports-analytics-8h',
    );
    expect(binding.status?.expiresAt).toBeDefined();

    expect(
      await counterValue(running.metrics, 'keyless_cloud_requests_total', {
        provider: 'memory',
        operation: 'identities.create',
        outcome: 'success',
      }),
    ).toBeGreaterThanOrEqual(3);

    // A first creation is told by Ready turning True, not by an Event (one API write less each).
    expect(await eventsIn(admin, 'shop', 'Created')).toEqual([]);
  });

  it('writes nothing to Kubernetes or the cloud in steady state', async () => {
    await apply(admin, {
      apiVersion: 'keyless.dev/v1alpha1',
      kind: 'CloudAccount',
      metadata: { name: 'steady' },
      spec: {
        provider: 'aws',
        aws: {
          accountId: '123456789012',
          region: 'us-east-1',
          oidcProvider: { issuerUrl: 'https://issuer.example' },
        },
        resyncInterval: '1s',
      },
    });
    const identity: Manifest = {
      apiVersion: 'keyless.dev/v1alpha1',
      kind: 'WorkloadIdentity',
      metadata: { name: 'steady', namespace: 'shop' },
      spec: {
        accountRef: { name: 'steady' },
        subjects: [{ serviceAccount: { name: 'steady', create: true } }],
      },
    };
    await apply(admin, identity);
    await waitFor('the steady identity Ready', async () => ready(await get<Conditioned>(admin, identity)));
    // Let the last status writes of the first converge settle, the Google Cloud example account's
    // check after its identities' principals among them.
    await new Promise((resolve) => setTimeout(resolve, PRINCIPALS_SETTLE_MS + 1500));

    const reconcilesBefore = await counterValue(running.metrics, 'keyless_reconcile_total', {
      controller: 'WorkloadIdentity',
    });
    const writesBefore = await kubeWrites(running);
    const cloudWritesBefore = running.cloud.count('write');
    await new Promise((resolve) => setTimeout(resolve, 4000));

    const reconciles =
      (await counterValue(running.metrics, 'keyless_reconcile_total', { controller: 'WorkloadIdentity' })) -
      reconcilesBefore;
    expect(reconciles).toBeGreaterThanOrEqual(2);
    expect((await kubeWrites(running)) - writesBefore).toBe(0);
    expect(running.cloud.count('write') - cloudWritesBefore).toBe(0);
  });

  it('keeps another field manager’s annotation on the ServiceAccount, and removes only its own on delete', async () => {
    const serviceAccount: Manifest = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'shared', namespace: 'shop', annotations: { 'example.com/team': 'payments' } },
    };
    await apply(admin, serviceAccount, 'someone-else');
    const identity: Manifest = {
      apiVersion: 'keyless.dev/v1alpha1',
      kind: 'WorkloadIdentity',
      metadata: { name: 'shared', namespace: 'shop' },
      spec: { accountRef: { name: 'aws-prod' }, subjects: [{ serviceAccount: { name: 'shared' } }] },
    };
    await apply(admin, identity);
    const wi = await waitFor('shared identity Ready', async () =>
      ready(await get<Conditioned>(admin, identity)),
    );

    const annotated = await get<Manifest>(admin, serviceAccount);
    expect(annotated?.metadata.annotations).toEqual({
      'example.com/team': 'payments',
      'eks.amazonaws.com/role-arn': wi.status?.principal?.id,
    });
    const managers = ((annotated?.metadata.managedFields ?? []) as { manager: string }[])
      .map((m) => m.manager)
      .sort();
    expect(managers).toEqual(['keyless', 'someone-else']);

    await remove(admin, identity);
    await waitFor('shared identity gone', async () => (await get(admin, identity)) === undefined);
    const released = await get<Manifest>(admin, serviceAccount);
    expect(released?.metadata.annotations).toEqual({ 'example.com/team': 'payments' });
  });

  it('deletes the cloud identity behind a finalizer, and retains it under deletionPolicy Retain', async () => {
    const make = (name: string, deletionPolicy: string): Manifest => ({
      apiVersion: 'keyless.dev/v1alpha1',
      kind: 'WorkloadIdentity',
      metadata: { name, namespace: 'shop' },
      spec: {
        accountRef: { name: 'aws-prod' },
        subjects: [{ serviceAccount: { name, create: true } }],
        deletionPolicy,
      },
    });
    const deleted = make('short-lived', 'Delete');
    const retained = make('kept', 'Retain');
    const names: Record<string, string> = {};
    for (const identity of [deleted, retained]) {
      await apply(admin, identity);
      const wi = await waitFor(`${identity.metadata.name} Ready`, async () =>
        ready(await get<Conditioned>(admin, identity)),
      );
      names[identity.metadata.name] = wi.status?.externalName ?? '';
      expect(running.cloud.identities.has(names[identity.metadata.name] ?? '')).toBe(true);
    }
    for (const identity of [deleted, retained]) {
      await remove(admin, identity);
      await waitFor(`${identity.metadata.name} gone`, async () => (await get(admin, identity)) === undefined);
    }
    expect(running.cloud.identities.has(names['short-lived'] ?? '')).toBe(false);
    expect(running.cloud.identities.has(names.kept ?? '')).toBe(true);
  });

  it('removes an IdentityBinding’s grants before its identity goes', async () => {
    const identity: Manifest = {
      apiVersion: 'keyless.dev/v1alpha1',
      kind: 'WorkloadIdentity',
      metadata: { name: 'ordered', namespace: 'shop' },
      spec: {
        accountRef: { name: 'aws-prod' },
        subjects: [{ serviceAccount: { name: 'ordered', create: true } }],
      },
    };
    const binding: Manifest = {
      apiVersion: 'keyless.dev/v1alpha1',
      kind: 'IdentityBinding',
      metadata: { name: 'ordered-read', namespace: 'shop' },
      spec: {
        identityRef: { name: 'ordered' },
        grants: [{ resource: 'arn:aws:s3:::ordered', access: 'read' }],
      },
    };
    await apply(admin, identity);
    await apply(admin, binding);
    await waitFor('binding Ready', async () => ready(await get<Conditioned>(admin, binding)));
    const grantsBefore = running.cloud.grantSets.size;

    await remove(admin, identity);
    const waiting = await waitFor('identity waiting for its binding', async () => {
      const wi = await get<Conditioned>(admin, identity);
      return wi?.status?.conditions?.find((c) => c.type === 'Ready' && c.reason === 'WaitingForBindings');
    });
    expect(waiting).toBeDefined();

    await remove(admin, binding);
    await waitFor('identity gone', async () => (await get(admin, identity)) === undefined);
    expect(running.cloud.grantSets.size).toBe(grantsBefore - 1);
  });
  it('checks an account on its own changes only, re-judges refused bindings when they come, and deletes it after its identities', async () => {
    const account: Manifest = {
      apiVersion: 'keyless.dev/v1alpha1',
      kind: 'CloudAccount',
      metadata: { name: 'tally' },
      spec: {
        provider: 'aws',
        aws: {
          accountId: '123456789012',
          region: 'us-east-1',
          oidcProvider: { issuerUrl: 'https://issuer' },
        },
        guardrails: { maxAccess: 'read' },
        resyncInterval: '1h',
      },
    };
    const checks: string[] = [];
    const stopCounting = running.cloud.injectFault((operation, target) => {
      if (operation === 'CheckAccount' && target === 'tally') checks.push(target);
      return undefined;
    });
    try {
      await apply(admin, account);
      await waitFor('account tally Ready', async () => ready(await get<Conditioned>(admin, account)));
      const identities = Array.from(
        { length: 20 },
        (_, i): Manifest => ({
          apiVersion: 'keyless.dev/v1alpha1',
          kind: 'WorkloadIdentity',
          metadata: { name: `tally-${i}`, namespace: 'shop' },
          spec: {
            accountRef: { name: 'tally' },
            subjects: [{ serviceAccount: { name: `tally-${i}`, create: true } }],
          },
        }),
      );
      const refused: Manifest = {
        apiVersion: 'keyless.dev/v1alpha1',
        kind: 'IdentityBinding',
        metadata: { name: 'tally-0-write', namespace: 'shop' },
        spec: {
          identityRef: { name: 'tally-0' },
          grants: [{ resource: 'arn:aws:s3:::tally', access: 'write' }],
        },
      };
      const before = await get<Conditioned>(admin, account);
      checks.length = 0;

      for (const identity of identities) await apply(admin, identity);
      await apply(admin, refused);
      for (const identity of identities)
        await waitFor(`${identity.metadata.name} Ready`, async () =>
          ready(await get<Conditioned>(admin, identity)),
        );
      await waitFor('the write grant refused', async () =>
        (await get<Conditioned>(admin, refused))?.status?.conditions?.find(
          (c) => c.type === 'Synced' && c.reason === 'GuardrailViolation',
        ),
      );
      // Twenty identities and a binding arriving cost the account no check and no write.
      expect(checks).toEqual([]);
      expect((await get<Conditioned>(admin, account))?.metadata.resourceVersion).toBe(
        before?.metadata.resourceVersion,
      );

      await apply(admin, {
        ...account,
        spec: { ...(account.spec as object), guardrails: { maxAccess: 'write' } },
      });
      await waitFor('the binding granted once the guardrails allow it', async () =>
        ready(await get<Conditioned>(admin, refused)),
      );
      const relaxed = await waitFor('the account to count its identities', async () => {
        const current = await get<Manifest & { status?: { identityCount?: number } }>(admin, account);
        return current?.status?.identityCount === 20 && current;
      });
      expect(relaxed.status?.identityCount).toBe(20);
      expect(checks).toEqual(['tally']);

      checks.length = 0;
      await remove(admin, refused);
      const [leaving, staying] = [identities.slice(0, 10), identities.slice(10)];
      for (const identity of leaving) await remove(admin, identity);
      for (const identity of leaving)
        await waitFor(
          `${identity.metadata.name} gone`,
          async () => (await get(admin, identity)) === undefined,
        );
      // Ten identities leaving cost it no check either.
      expect(checks).toEqual([]);

      await remove(admin, account);
      await waitFor('the account waiting for its identities', async () =>
        (await get<Conditioned>(admin, account))?.status?.conditions?.find(
          (c) => c.type === 'Ready' && c.reason === 'WaitingForIdentities',
        ),
      );
      for (const identity of staying) await remove(admin, identity);
      await waitFor(
        'the account gone after its last identity',
        async () => (await get(admin, account)) === undefined,
      );
      expect(checks).toEqual([]);
    } finally {
      stopCounting();
    }
  });
});

async function kubeWrites(running: RunningOperator): Promise<number> {
  let total = 0;
  for (const verb of ['PATCH', 'POST', 'PUT', 'DELETE']) {
    total += await counterValue(running.metrics, 'keyless_kube_requests_total', { verb });
  }
  return total;
}

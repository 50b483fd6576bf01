import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  CLOUD_ACCOUNT,
  IDENTITY_BINDING,
  KINDS,
  type KindDefinition,
  WORKLOAD_IDENTITY,
} from '../../src/api/index.js';
import { KubeClient } from '../../src/kube-api/client.js';
import { EXAMPLES_DIR, loadExamples } from '../support/examples.js';
import { get, type Manifest, waitFor } from '../support/kube-manifests.js';
import { describeWithKubectl } from '../support/kubectl.js';
import { parseTables, type Table } from '../support/kubectl-tables.js';
import {
  installKeyless,
  operatorKubeConfig,
  type RunningOperator,
  startOperator,
} from '../support/operator-harness.js';

const examples = loadExamples().map((e) => e.object as Manifest);
const examplesOf = (kind: KindDefinition) => examples.filter((o) => o.kind === kind.kind);

type Schema = { description?: string; properties?: Record<string, Schema>; items?: Schema };
const crdSchemaOf = (kind: KindDefinition): Schema =>
  parse(readFileSync(`crds/keyless.dev_${kind.plural}.yaml`, 'utf8')).spec.versions[0].schema.openAPIV3Schema;

/** The output the README shows for `command`: the fenced block after the one with the command. */
function readmeSample(command: string): string {
  const blocks = [...readFileSync('README.md', 'utf8').matchAll(/^```\w*\n([\s\S]*?)^```$/gm)].map(
    (m) => m[1] ?? '',
  );
  const at = blocks.findIndex((block) => block.split('\n').includes(command));
  const sample = blocks[at + 1];
  if (at < 0 || sample === undefined) throw new Error(`README.md shows no output of ${command}`);
  return sample;
}

const whitespace = (text: string) => text.replace(/\s+/g, ' ');

describeWithKubectl('kubectl on the CRDs and the operator, as users run it', (controlPlane, kubectl) => {
  let admin: KubeClient;
  let running: RunningOperator | undefined;

  beforeAll(async () => {
    admin = new KubeClient(controlPlane().kubeConfig());
    await installKeyless(admin);
    // Discovery and the OpenAPI document catch up with Established CRDs a moment later, on a busy
    // machine; kubectl reads both.
    await waitFor('discovery to list the three kinds', async () => {
      const group = await admin.request<{ resources: { name: string }[] }>(
        'GET',
        '/apis/keyless.dev/v1alpha1',
      );
      return group.resources.filter((r) => !r.name.includes('/')).length === KINDS.length;
    });
    await waitFor('the OpenAPI document to hold the three kinds', async () => {
      const document = await admin.request<{ components?: { schemas?: Record<string, unknown> } }>(
        'GET',
        '/openapi/v3/apis/keyless.dev/v1alpha1',
      );
      const schemas = Object.keys(document.components?.schemas ?? {});
      return KINDS.every((kind) => schemas.includes(`dev.keyless.v1alpha1.${kind.kind}`));
    });
  });

  afterAll(async () => {
    await running?.stop();
  });

  /** resourceVersion and generation of every example object. */
  const versions = async () => {
    const entries = await Promise.all(
      examples.map(async (object) => {
        const found = await get<Manifest>(admin, object);
        const { resourceVersion, generation } = (found?.metadata ?? {}) as Record<string, unknown>;
        return [`${object.kind} ${object.metadata.name}`, { resourceVersion, generation }] as const;
      }),
    );
    return Object.fromEntries(entries);
  };

  it('apply --server-side -f examples/ applies everything; again it changes no generation, and a third time nothing', async () => {
    const first = (await kubectl(['apply', '--server-side', '-f', EXAMPLES_DIR])).stdout.trim().split('\n');
    expect(first).toHaveLength(examples.length);
    expect(first.filter((line) => !line.endsWith(' serverside-applied'))).toEqual([]);
    const before = await versions();
    expect(Object.values(before).every((v) => v.resourceVersion !== undefined)).toBe(true);

    // Keyless's kinds read status.observedGeneration 0 (a CRD default) until the operator first
    // writes their status; the API server stores that default with the first write after create,
    // which may be this second apply. It changes no generation, and from then on nothing changes.
    await kubectl(['apply', '--server-side', '-f', EXAMPLES_DIR]);
    const second = await versions();
    expect(Object.fromEntries(Object.entries(second).map(([key, v]) => [key, v.generation]))).toEqual(
      Object.fromEntries(Object.entries(before).map(([key, v]) => [key, v.generation])),
    );
    await kubectl(['apply', '--server-side', '-f', EXAMPLES_DIR]);
    expect(await versions()).toEqual(second);
  });

  it('wait --for=condition=Ready returns for every object of each kind once the operator converged', async () => {
    running = await startOperator({
      kubeConfig: await operatorKubeConfig(controlPlane()),
      args: ['--leader-elect=false'],
    });
    for (const kind of KINDS) {
      const scope = kind.scope === 'Namespaced' ? ['--all-namespaces'] : [];
      const { stdout } = await kubectl([
        'wait',
        '--for=condition=Ready',
        '--timeout=60s',
        '--all',
        ...scope,
        kind.plural,
      ]);
      expect(stdout.trim().split('\n').sort()).toEqual(
        examplesOf(kind)
          .map((o) => `${kind.singular}.keyless.dev/${o.metadata.name} condition met`)
          .sort(),
      );
    }
  }, 240_000);

  it('get wi,ib,ca -A prints the columns the README shows, filled from status and spec', async () => {
    const { stdout } = await kubectl(['get', 'wi,ib,ca', '-A']);
    const tables = parseTables(stdout);
    const sample = parseTables(readmeSample('kubectl get wi,ib,ca -A'));
    expect(tables.map((t) => t.columns)).toEqual(sample.map((t) => t.columns));

    const [identities, bindings, accounts] = tables as [Table, Table, Table];
    const rowOf = (table: Table, kind: KindDefinition, object: Manifest) => {
      const name = `${kind.singular}.keyless.dev/${object.metadata.name}`;
      const row = table.rows.find(
        (r) => r.NAME === name && (r.NAMESPACE ?? '') === (object.metadata.namespace ?? ''),
      );
      if (!row) throw new Error(`kubectl get printed no row for ${name}:\n${stdout}`);
      return row;
    };
    const [ca, wi, ib] = [CLOUD_ACCOUNT, WORKLOAD_IDENTITY, IDENTITY_BINDING];
    for (const object of examplesOf(wi)) {
      expect(rowOf(identities, wi, object)).toMatchObject({
        READY: 'True',
        SYNCED: 'True',
        DRIFTED: 'False',
      });
      expect(rowOf(identities, wi, object).PRINCIPAL).not.toBe('');
    }
    for (const object of examplesOf(ib)) {
      const spec = object.spec as { identityRef: { name: string } };
      expect(rowOf(bindings, ib, object)).toMatchObject({
        READY: 'True',
        SYNCED: 'True',
        DRIFTED: 'False',
        IDENTITY: spec.identityRef.name,
      });
    }
    for (const object of examplesOf(ca)) {
      const spec = object.spec as { provider: string };
      expect(rowOf(accounts, ca, object)).toMatchObject({ READY: 'True', PROVIDER: spec.provider });
    }
    // A temporary binding shows when it ends; the others show nothing there.
    expect(bindings.rows.filter((r) => r.EXPIRES !== '').map((r) => r.NAME)).toEqual([
      'identitybinding.keyless.dev/reports-analytics-8h',
    ]);
    const expires = bindings.rows.find((r) => r.EXPIRES !== '')?.EXPIRES ?? '';
    expect(expires).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(Date.parse(expires)).toBeGreaterThan(Date.now());
  });

  it('get wi -o wide adds the account', async () => {
    const { stdout } = await kubectl(['get', 'wi', '-A', '-o', 'wide']);
    const [table] = parseTables(stdout);
    expect(table?.columns).toEqual([
      'NAMESPACE',
      'NAME',
      'READY',
      'SYNCED',
      'DRIFTED',
      'PRINCIPAL',
      'ACCOUNT',
      'AGE',
    ]);
    const orders = table?.rows.find((r) => r.NAME === 'orders-api');
    expect(orders?.ACCOUNT).toBe('aws-prod');
  });

  it('explain prints the description of every field, from the CRDs', async () => {
    const subjects = crdSchemaOf(WORKLOAD_IDENTITY).properties?.spec?.properties?.subjects;
    const explained = whitespace((await kubectl(['explain', 'workloadidentity.spec.subjects'])).stdout);
    expect(explained).toContain(`FIELD: subjects <[]Object>`);
    expect(explained).toContain(whitespace(subjects?.description ?? '(none)'));
    const fields = Object.entries(subjects?.items?.properties ?? {});
    expect(fields.map(([name]) => name).sort()).toEqual(['serverless', 'serviceAccount']);
    for (const [name, field] of fields) {
      expect(explained).toContain(`${name} <Object> ${whitespace(field.description ?? '(none)')}`);
    }

    for (const kind of KINDS) {
      const spec = crdSchemaOf(kind).properties?.spec ?? {};
      const output = whitespace((await kubectl(['explain', `${kind.singular}.spec`])).stdout);
      for (const [name, field] of Object.entries(spec.properties ?? {})) {
        expect(output, `${kind.singular}.spec.${name}`).toContain(whitespace(field.description ?? '(none)'));
      }
    }
  });

  it('apply --server-side -f examples/ after the operator made them Ready changes nothing', async () => {
    // Stopped, the operator writes nothing more: what changes now comes from the apply.
    await running?.stop();
    running = undefined;
    const before = await versions();
    // Keyless's kinds read status.observedGeneration 0 (a CRD default) until the operator first
    // writes their status; the API server stores that default with the first write after create,
    // which may be this second apply. It changes no generation, and from then on nothing changes.
    await kubectl(['apply', '--server-side', '-f', EXAMPLES_DIR]);
    const second = await versions();
    expect(Object.fromEntries(Object.entries(second).map(([key, v]) => [key, v.generation]))).toEqual(
      Object.fromEntries(Object.entries(before).map(([key, v]) => [key, v.generation])),
    );
    await kubectl(['apply', '--server-side', '-f', EXAMPLES_DIR]);
    expect(await versions()).toEqual(second);
  });
});

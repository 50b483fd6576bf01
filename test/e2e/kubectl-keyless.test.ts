/**
 * `kubectl keyless`, run through the real kubectl against the real API server, with the operator
 * running on moto: every command, its output formats and exit codes, users of different RBAC, the
 * plan `diff` shows before the operator acts against what it then creates, `extend` against the
 * account's maxGrantDuration and Argo CD's extend action, and `reconcile` making the operator look
 * again.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient, TagRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { buildPluginArchive } from '../../scripts/plugin-archive-build.js';
import { KubeClient } from '../../src/kube-api/client.js';
import { applyMotoCredentials, awsAccount } from '../support/aws-harness.js';
import { shouldSkipControlPlaneTests, useControlPlane } from '../support/control-plane/index.js';
import { argoAction } from '../support/gitops-tools.js';
import { ensureGoTool } from '../support/go-tools.js';
import {
  identityBinding,
  type Observed,
  waitForCondition,
  workloadIdentity,
} from '../support/keyless-objects.js';
import { apply, get, type Manifest, waitFor } from '../support/kube-manifests.js';
import { kubectlPath } from '../support/kubectl.js';
import {
  type KubectlKeyless,
  kubectlKeylessFor,
  kubectlKeylessOnTerminal,
  type PluginRun,
  pluginBinDir,
  serviceAccountKubeconfig,
} from '../support/kubectl-plugin.js';
import {
  awsClientConfig,
  type Moto,
  motoAvailability,
  shouldSkipMotoTests,
  startMoto,
} from '../support/moto/index.js';
import {
  installKeyless,
  operatorKubeConfig,
  type RunningOperator,
  startOperator,
} from '../support/operator-harness.js';

const BUCKET = 'arn:aws:s3:::shop-invoices';
const EXIT = { ok: 0, findings: 1, usage: 2, denied: 3 };

type Binding = Observed & {
  metadata: { resourceVersion?: string; annotations?: Record<string, string> };
  spec: { expiresAt?: string; duration?: string };
  status?: Observed['status'] & { expiresAt?: string; lastHandledReconcileAt?: string };
};

// The e2e tier has built the plugin into dist/. kubectl comes with the control plane's binaries;
// without it the suite skips with one line, and fails under CI=true as the control-plane suites do.
const withoutKubectl = !shouldSkipControlPlaneTests() && !kubectlPath();
if (withoutKubectl) {
  const why = 'no kubectl beside the control plane (KUBEBUILDER_ASSETS without it, or k3s)';
  if (process.env.CI === 'true') throw new Error(`kubectl keyless: ${why}`);
  console.warn(`[kubectl keyless] skipping: ${why}; npm run control-plane:build builds one`);
}
const skip = shouldSkipControlPlaneTests() || shouldSkipMotoTests() || withoutKubectl;

describe.skipIf(skip)(
  'kubectl keyless, through kubectl, on the real API server with the operator on moto',
  () => {
    const controlPlane = useControlPlane();
    let moto: Moto;
    let admin: KubeClient;
    let operator: RunningOperator | undefined;
    let workDir: string;
    let keyless: KubectlKeyless;
    const users: Record<'viewer' | 'auditor' | 'editor' | 'nobody', string> = {
      viewer: '',
      auditor: '',
      editor: '',
      nobody: '',
    };
    const iam = () => new IAMClient(awsClientConfig(moto.endpoint));

    const account = (name: string, guardrails: Record<string, unknown>): Manifest => {
      const manifest = awsAccount(moto.endpoint, controlPlane().issuerUrl, '1h', name);
      // A resync an hour away: any re-observation within the test is one the test asked for.
      (manifest.spec as Record<string, unknown>).guardrails = guardrails;
      return manifest;
    };
    const objects = {
      ordersApi: workloadIdentity('orders-api', 'aws-test', {
        driftPolicy: 'Report',
        tags: { team: 'shop' },
      }),
      ordersRead: identityBinding('orders-read', 'orders-api', [{ resource: BUCKET, access: 'read' }]),
      ordersDeploy: identityBinding('orders-deploy', 'orders-api', [
        { resource: 'arn:aws:iam::123456789012:role/deployer', actions: ['iam:PassRole'] },
      ]),
      oncall: workloadIdentity('oncall', 'aws-timed'),
      oncallRead: identityBinding('oncall-read', 'oncall', [{ resource: BUCKET, access: 'read' }], {
        duration: '1h',
      }),
      ledger: workloadIdentity('ledger', 'aws-test', {}, 'team-b'),
    };

    beforeAll(async () => {
      const availability = motoAvailability();
      if (availability.kind === 'unavailable') throw new Error(availability.reason);
      moto = await startMoto({ python: availability.python });
      admin = new KubeClient(controlPlane().kubeConfig());
      workDir = mkdtempSync(join(tmpdir(), 'kubectl-keyless-'));
      keyless = kubectlKeylessFor(
        kubectlPath() ?? 'kubectl',
        pluginBinDir(workDir),
        workDir,
        controlPlane().kubeconfigPath,
      );
      await installKeyless(admin);
      for (const name of ['shop', 'team-b'])
        await apply(admin, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      await applyMotoCredentials(admin);
      await apply(admin, account('aws-test', {}));
      await apply(admin, account('aws-timed', { maxGrantDuration: '8h' }));
      for (const object of Object.values(objects)) await apply(admin, object);
      await grantRbac();
    });

    afterAll(async () => {
      await operator?.stop();
      await moto?.stop();
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    /** Four users: ServiceAccount tokens with their own RBAC, each a kubeconfig of its own. */
    async function grantRbac(): Promise<void> {
      const rbac = 'rbac.authorization.k8s.io/v1';
      const readKeyless = {
        apiGroups: ['keyless.dev'],
        resources: ['workloadidentities', 'identitybindings'],
        verbs: ['get', 'list'],
      };
      const readEvents = { apiGroups: [''], resources: ['events'], verbs: ['get', 'list'] };
      // viewer: reads identities, bindings and Events in shop, nothing else.
      await apply(admin, {
        apiVersion: rbac,
        kind: 'Role',
        metadata: { name: 'keyless-viewer', namespace: 'shop' },
        rules: [readKeyless, readEvents],
      });
      // editor: also patches them, and may read CloudAccounts (extend checks maxGrantDuration).
      await apply(admin, {
        apiVersion: rbac,
        kind: 'Role',
        metadata: { name: 'keyless-editor', namespace: 'shop' },
        rules: [{ ...readKeyless, verbs: ['get', 'list', 'patch'] }, readEvents],
      });
      await apply(admin, {
        apiVersion: rbac,
        kind: 'ClusterRole',
        metadata: { name: 'keyless-accounts-reader' },
        rules: [{ apiGroups: ['keyless.dev'], resources: ['cloudaccounts'], verbs: ['get', 'list'] }],
      });
      // auditor: may list namespaces, and Keyless's objects in shop only.
      await apply(admin, {
        apiVersion: rbac,
        kind: 'ClusterRole',
        metadata: { name: 'namespace-lister' },
        rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['list'] }],
      });
      const bind = (
        kind: 'RoleBinding' | 'ClusterRoleBinding',
        name: string,
        role: string,
        roleKind: string,
        sa: string,
      ) =>
        apply(admin, {
          apiVersion: rbac,
          kind,
          metadata: { name, ...(kind === 'RoleBinding' ? { namespace: 'shop' } : {}) },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role },
          subjects: [{ kind: 'ServiceAccount', name: sa, namespace: 'shop' }],
        });
      await bind('RoleBinding', 'viewer', 'keyless-viewer', 'Role', 'viewer');
      await bind('RoleBinding', 'editor', 'keyless-editor', 'Role', 'editor');
      await bind('ClusterRoleBinding', 'editor-accounts', 'keyless-accounts-reader', 'ClusterRole', 'editor');
      await bind('RoleBinding', 'auditor', 'keyless-viewer', 'Role', 'auditor');
      await bind('ClusterRoleBinding', 'auditor-namespaces', 'namespace-lister', 'ClusterRole', 'auditor');
      for (const user of Object.keys(users) as (keyof typeof users)[]) {
        users[user] = await serviceAccountKubeconfig(
          admin,
          controlPlane(),
          'shop',
          user,
          join(workDir, `${user}.yaml`),
        );
      }
    }

    const get$ = <T = Binding>(object: Manifest) => get<T>(admin, object) as Promise<T>;
    const rows = (table: string) =>
      table
        .split('\n')
        .slice(1)
        .filter((line) => line.trim() && !line.startsWith('Nothing') && !/need(s)? attention/.test(line))
        .map((line) => line.trim().split(/\s{3,}/));

    it('plans a new identity and binding before the operator acts, and the operator then creates exactly that', async () => {
      const before = await keyless(['status', '-n', 'shop']);
      expect(before.code).toBe(EXIT.ok);
      expect(rows(before.stdout).map((r) => r.slice(-5, -3))).toContainEqual([
        'Reconciling',
        'NotReconciled',
      ]);

      const identityPlan = await keyless([
        'diff',
        'wi/orders-api',
        '-n',
        'shop',
        '--cluster-name',
        'it',
        '-o',
        'json',
      ]);
      expect(identityPlan.code).toBe(EXIT.findings);
      const identity = JSON.parse(identityPlan.stdout);
      expect(identity).toMatchObject({
        kind: 'WorkloadIdentity',
        namespace: 'shop',
        name: 'orders-api',
        verdict: 'create',
        differs: true,
      });
      const bindingPlan = JSON.parse(
        (await keyless(['diff', 'ib/orders-read', '-n', 'shop', '--cluster-name', 'it', '-o', 'json']))
          .stdout,
      );
      expect(bindingPlan).toMatchObject({
        verdict: 'create',
        notes: [expect.stringContaining('waits for wi/orders-api')],
      });
      const text = await keyless(['diff', 'wi/orders-api', '-n', 'shop']);
      expect(text.stdout).toMatch(
        /^wi\/orders-api \(namespace shop\): Keyless would create IAM role keyless-shop-orders-api-<hash> in AWS account 123456789012\.$/m,
      );
      expect(text.stdout).toContain('+   assumeRolePolicy:');
      expect(text.stdout).toContain("note: Names marked <hash> hash the operator's --cluster-name");

      operator = await startOperator({
        kubeConfig: await operatorKubeConfig(controlPlane()),
        realClouds: true,
        args: ['--leader-elect=false'],
      });
      await waitForCondition(admin, objects.ordersRead, 'Ready', { status: 'True' });
      await waitForCondition(admin, objects.oncallRead, 'Ready', { status: 'True' });
      await waitForCondition(admin, objects.ordersDeploy, 'Ready', {
        status: 'False',
        reason: 'EscalationRefused',
      });
      await waitForCondition(admin, objects.ledger, 'Ready', { status: 'True' });

      const role = identity.planned.document.role;
      const created = (await iam().send(new GetRoleCommand({ RoleName: role.name }))).Role;
      expect(created?.Arn).toBe(role.arn);
      expect(created?.Path).toBe(role.path);
      expect(created?.MaxSessionDuration).toBe(role.maxSessionDuration);
      expect(JSON.parse(decodeURIComponent(created?.AssumeRolePolicyDocument ?? ''))).toEqual(
        role.assumeRolePolicy,
      );
      expect(Object.fromEntries((created?.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({
        ...role.tags,
        'keyless.dev/uid': expect.any(String),
      });
      const inline = bindingPlan.planned.document.inlinePolicy;
      const policy = await iam().send(
        new GetRolePolicyCommand({ RoleName: inline.role, PolicyName: inline.name }),
      );
      expect(JSON.parse(decodeURIComponent(policy.PolicyDocument ?? ''))).toEqual(inline.document);
      const sa = await get<{ metadata: { annotations?: Record<string, string> } }>(admin, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'orders-api', namespace: 'shop' },
      });
      expect(sa?.metadata.annotations).toMatchObject(
        identity.planned.document.serviceAccounts[0].annotations,
      );

      const settled = await keyless(['diff', 'wi/orders-api', '-n', 'shop']);
      expect(settled).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining(': No changes:') });
    });

    it('status puts what needs attention first, exits 1 while something fails, and speaks JSON and YAML', async () => {
      const table = await keyless(['status', '-A']);
      expect(table.code).toBe(EXIT.findings);
      const [header] = table.stdout.split('\n');
      expect(header?.split(/\s+/)).toEqual([
        'NAMESPACE',
        'NAME',
        'STATE',
        'REASON',
        'CLOUD',
        'SINCE',
        'DETAIL',
      ]);
      const listed = rows(table.stdout);
      expect(listed[0]?.slice(0, 4)).toEqual(['shop', 'ib/orders-deploy', 'Stalled', 'EscalationRefused']);
      expect(listed[1]?.slice(0, 4)).toEqual(['shop', 'ib/oncall-read', 'Expiring', 'Available']);
      expect(listed.map((r) => r[r[0]?.startsWith('ca/') ? 0 : 1])).toEqual(
        expect.arrayContaining([
          'ca/aws-test',
          'ca/aws-timed',
          'wi/orders-api',
          'wi/oncall',
          'ib/orders-read',
          'wi/ledger',
        ]),
      );
      expect(table.stdout).toMatch(
        /^2 need attention; 8 objects in all namespaces you may list: 1 stalled, 7 ready, 1 ending within 24h\.$/m,
      );
      expect(table.stdout).not.toContain('\u001b[');
      expect(table.stderr).toBe('');

      // The README shows this run's table: the same rows, whatever the times and hashes.
      const columns = (r: string[]) => (r[0]?.includes('/') ? ['', ...r] : r).slice(0, 5);
      expect(rows(readmeSample('kubectl keyless status -A')).map(columns)).toEqual(listed.map(columns));

      const json = await keyless(['status', '-A', '-o', 'json']);
      const yaml = await keyless(['status', '-A', '-o', 'yaml']);
      expect([json.code, yaml.code]).toEqual([EXIT.findings, EXIT.findings]);
      const fromJson = JSON.parse(json.stdout);
      expect(parse(yaml.stdout)).toEqual(fromJson);
      expect(fromJson.summary).toEqual({
        objects: 8,
        attention: 2,
        failing: 1,
        byState: { Stalled: 1, Ready: 7 },
      });
      expect(fromJson.attention.map((a: { why: string; name: string }) => `${a.why} ${a.name}`)).toEqual([
        'Stalled orders-deploy',
        'Expiring oncall-read',
      ]);
      expect(JSON.stringify(fromJson)).not.toMatch(/token|secret/i);

      const healthy = await keyless(['status', '-n', 'team-b']);
      expect(healthy.code).toBe(EXIT.ok);
      expect(rows(healthy.stdout).map((r) => r.slice(0, 3))).toEqual([
        ['ca/aws-test', 'Ready', 'CredentialsValid'],
        ['team-b', 'wi/ledger', 'Ready'],
      ]);
    });

    it('why names the failing condition, the guardrail rule, the Events and what to do', async () => {
      const why = await keyless(['why', 'ib/orders-deploy', '-n', 'shop']);
      expect(why.code).toBe(EXIT.ok);
      const out = why.stdout;
      const words = out.replace(/\s+/g, ' ');
      expect(out).toMatch(/^ib\/orders-deploy in namespace shop: Stalled since \S+ \(EscalationRefused\)$/m);
      expect(out).toMatch(/^ {2}identity +wi\/orders-api$/m);
      expect(out).toMatch(/^ {2}(\w+=\w+, )*Stalled=True(, \w+=\w+)* \(EscalationRefused\), since \S+:$/m);
      expect(out).toContain('Guardrails (CloudAccount aws-test)');
      expect(words).toContain(
        '- grant 0 (arn:aws:iam::123456789012:role/deployer): action iam:PassRole is refused by default',
      );
      expect(out).toMatch(/^ {2}\S+ +Warning EscalationRefused: grant 0/m);
      expect(words).toContain(
        "a platform admin lifts that one rule in CloudAccount aws-test's guardrails.allowEscalation",
      );

      const structured = JSON.parse(
        (await keyless(['why', 'ib/orders-deploy', '-n', 'shop', '-o', 'json'])).stdout,
      );
      expect(structured.object).toMatchObject({
        kind: 'IdentityBinding',
        state: 'Stalled',
        reason: 'EscalationRefused',
      });
      expect(structured.guardrails.problems).toEqual([
        expect.stringContaining('iam:PassRole is refused by default'),
      ]);
      expect(structured.object.events).toContainEqual(
        expect.objectContaining({ type: 'Warning', reason: 'EscalationRefused' }),
      );

      const diff = await keyless(['diff', 'ib/orders-deploy', '-n', 'shop']);
      expect(diff.code).toBe(EXIT.findings);
      expect(diff.stdout).toContain(
        "Keyless would change nothing: CloudAccount aws-test's guardrails refuse the grants (EscalationRefused).",
      );
    });

    it('reconcile makes the operator look again: an out-of-band change shows as drift at once', async () => {
      const role = (await get$(objects.ordersApi)).status?.externalName ?? '';
      await iam().send(new TagRoleCommand({ RoleName: role, Tags: [{ Key: 'team', Value: 'ops' }] }));
      // The account resyncs hourly: without the request, the drift would not be seen now.
      expect((await keyless(['diff', 'wi/orders-api', '-n', 'shop'])).code).toBe(EXIT.ok);

      const asked = await keyless(['reconcile', 'wi/orders-api', '-n', 'shop', '--wait', '-o', 'json']);
      expect(asked.code).toBe(EXIT.ok);
      const answer = JSON.parse(asked.stdout);
      expect(answer).toMatchObject({ answered: true, state: { state: 'Drifted', reason: 'DriftDetected' } });
      const observed = await get$(objects.ordersApi);
      expect(observed.metadata.annotations?.['keyless.dev/reconcile-requested-at']).toBe(answer.requestedAt);
      // The request is the user's change, recorded apart from the operator's writes.
      const managers = (
        observed.metadata as { managedFields?: { manager: string; fieldsV1?: object }[] }
      ).managedFields
        ?.filter((e) => JSON.stringify(e.fieldsV1 ?? {}).includes('reconcile-requested-at'))
        .map((e) => e.manager);
      expect(managers).toEqual(['kubectl-keyless']);
      expect(observed.status?.lastHandledReconcileAt).toBe(answer.requestedAt);
      // Argo CD's reconcile action sets the same annotation.
      const argo = await argoAction('WorkloadIdentity', 'reconcile', observed);
      expect(Object.keys(argo.metadata.annotations ?? {})).toContain('keyless.dev/reconcile-requested-at');

      const diff = await keyless(['diff', 'wi/orders-api', '-n', 'shop']);
      expect(diff.code).toBe(EXIT.findings);
      expect(diff.stdout.split('\n')).toEqual(
        expect.arrayContaining([
          'wi/orders-api (namespace shop): The cloud differs from the spec in 1 field; driftPolicy Report, so Keyless only reports it.',
          '~ tags[team]',
          '-   ops',
          '+   shop',
        ]),
      );
      const why = await keyless(['why', 'wi/orders-api', '-n', 'shop']);
      expect(why.stdout).toContain('Drift (-: found in the cloud, +: what the spec wants)');
      expect(why.stdout).toContain(
        `    kubectl patch wi orders-api -n shop --type merge -p '{"spec":{"driftPolicy":"Correct"}}'`,
      );
      const status = await keyless(['status', '-n', 'shop']);
      expect(rows(status.stdout)[1]?.slice(0, 4)).toEqual([
        'shop',
        'wi/orders-api',
        'Drifted',
        'DriftDetected',
      ]);

      const text = await keyless(['reconcile', 'wi/orders-api', '-n', 'shop', '--wait']);
      expect(text.stdout).toMatch(
        /^wi\/orders-api: Keyless observed it again within \S+: Drifted \(DriftDetected\): /,
      );
    });

    it("extend moves a temporary binding's end as Argo CD's action does, within maxGrantDuration, and refuses beyond it", async () => {
      const before = await get$(objects.oncallRead);
      const extended = await keyless(['extend', 'ib/oncall-read', '-n', 'shop', '--by', '2h', '-o', 'json'], {
        kubeconfig: users.editor,
      });
      expect(extended.code).toBe(EXIT.ok);
      const result = JSON.parse(extended.stdout);
      expect(result).toMatchObject({
        namespace: 'shop',
        name: 'oncall-read',
        previousEnd: before.status?.expiresAt,
        account: 'aws-timed',
        maxGrantDuration: '8h',
      });
      const after = await get$(objects.oncallRead);
      expect(after.spec.duration).toBeUndefined();
      expect(after.spec.expiresAt).toBe(result.expiresAt);
      // Argo CD's extend action, run at the same moment on the binding as it was, writes the same spec.
      const now = new Date(Date.parse(result.expiresAt) - 2 * 3_600_000).toISOString().replace('.000Z', 'Z');
      const argo = await argoAction('IdentityBinding', 'extend', before, { hours: '2' }, now);
      expect(after.spec).toEqual(argo.spec);
      await waitFor('the operator to apply the new end', async () => {
        const current = await get$(objects.oncallRead);
        return Date.parse(current.status?.expiresAt ?? '') === Date.parse(result.expiresAt) && current;
      });

      const unrefused = (await get$(objects.oncallRead)).metadata.resourceVersion;
      const beyond = await keyless(['extend', 'ib/oncall-read', '-n', 'shop', '--by', '9h'], {
        kubeconfig: users.editor,
      });
      expect(beyond.code).toBe(EXIT.findings);
      expect(beyond.stderr).toMatch(
        /^error: refused: ib\/oncall-read would last 9h\d*m?\d*s? from its creation at \S+, beyond CloudAccount aws-timed's maxGrantDuration 8h: the latest end it allows is \S+; --by \d+h\d*m? at most$/m,
      );
      expect((await get$(objects.oncallRead)).metadata.resourceVersion).toBe(unrefused);

      // The operator refuses the same end: the CLI refuses what Keyless would.
      const latest = beyond.stderr.match(/the latest end it allows is (\S+);/)?.[1] ?? '';
      const tooLate = new Date(Date.parse(latest) + 3_600_000).toISOString();
      await apply(admin, {
        ...objects.oncallRead,
        spec: { ...(objects.oncallRead.spec as object), duration: undefined, expiresAt: tooLate },
      });
      const refused = await waitForCondition(admin, objects.oncallRead, 'Synced', {
        status: 'False',
        reason: 'GuardrailViolation',
      });
      expect(JSON.stringify(refused.status?.conditions)).toContain(
        "grants last longer than the account's maxGrantDuration 8h",
      );
      await apply(admin, {
        ...objects.oncallRead,
        spec: { ...(objects.oncallRead.spec as object), duration: undefined, expiresAt: result.expiresAt },
      });
      await waitForCondition(admin, objects.oncallRead, 'Ready', { status: 'True' });

      const shorter = await keyless(['extend', 'ib/oncall-read', '-n', 'shop', '--by', '30m'], {
        kubeconfig: users.editor,
      });
      expect(shorter).toMatchObject({
        code: EXIT.findings,
        stderr: expect.stringContaining('already end at'),
      });
      const permanent = await keyless(['extend', 'ib/orders-read', '-n', 'shop', '--by', '1h']);
      expect(permanent).toMatchObject({
        code: EXIT.findings,
        stderr: expect.stringContaining('ib/orders-read is not temporary'),
      });
      const unchecked = await keyless(['extend', 'ib/oncall-read', '-n', 'shop', '--by', '3h'], {
        kubeconfig: users.viewer,
      });
      expect(unchecked.code).toBe(EXIT.denied);
      expect(unchecked.stderr).toContain(
        "cannot check the account's maxGrantDuration, so nothing was changed",
      );
      expect((await get$(objects.oncallRead)).spec.expiresAt).toBe(result.expiresAt);
    });

    it('shows each user only what their RBAC lets them list, and says what it left out', async () => {
      const viewer = await keyless(['status', '-A'], { kubeconfig: users.viewer });
      expect(viewer.code).toBe(EXIT.findings);
      const seen = rows(viewer.stdout).map((r) => `${r[0]} ${r[1]}`);
      expect(seen).toEqual(expect.arrayContaining(['shop ib/orders-deploy', 'shop wi/orders-api']));
      expect(viewer.stdout).not.toMatch(/ledger|ca\/aws-test|team-b/);
      expect(viewer.stderr.split('\n')).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^note: cloudaccounts not shown: cloudaccounts\.keyless\.dev is forbidden: User "system:serviceaccount:shop:viewer" cannot list resource "cloudaccounts"/,
          ),
          expect.stringMatching(
            /^note: workloadidentities: you may not list workloadidentities across all namespaces, nor the namespaces themselves, so only namespace shop \(your context's\) was tried$/,
          ),
        ]),
      );

      const auditor = await keyless(['status', '-A', '-o', 'json'], { kubeconfig: users.auditor });
      const audited = JSON.parse(auditor.stdout);
      expect(audited.namespaces).toEqual(['shop']);
      expect(audited.objects.map((o: { namespace?: string }) => o.namespace)).not.toContain('team-b');
      expect(audited.notShown).toContainEqual({
        resource: 'workloadidentities',
        namespaces: expect.arrayContaining(['default', 'keyless-system', 'team-b']),
        why: 'you may not list workloadidentities there, nor across all namespaces; the namespaces where you may are shown',
      });
      expect(auditor.stderr).toMatch(
        /^note: workloadidentities in namespaces .*team-b.* not shown: you may not list/m,
      );

      const elsewhere = await keyless(['status', '-n', 'team-b'], { kubeconfig: users.viewer });
      expect(elsewhere.code).toBe(EXIT.denied);
      expect(elsewhere.stderr).toMatch(
        /^error: you may see none of Keyless's objects here:\n {2}cloudaccounts\.keyless\.dev is forbidden/,
      );
      const nobody = await keyless(['status'], { kubeconfig: users.nobody });
      expect(nobody.code).toBe(EXIT.denied);
      expect(nobody.stdout).toBe('');

      const why = await keyless(['why', 'ib/orders-deploy'], { kubeconfig: users.viewer });
      expect(why.code).toBe(EXIT.ok);
      expect(why.stdout).toContain('Stalled');
      expect(why.stderr).toMatch(
        /^note: the CloudAccount not shown: cloudaccounts\.keyless\.dev "aws-test" is forbidden/m,
      );
      const reconcile = await keyless(['reconcile', 'wi/orders-api'], { kubeconfig: users.viewer });
      expect(reconcile.code).toBe(EXIT.denied);
      expect(reconcile.stderr).toMatch(/cannot patch resource "workloadidentities"/);
    });

    it('takes --context, --kubeconfig and KUBECONFIG as kubectl does, and tells usage errors from missing objects', async () => {
      const admin = parse(readFileSync(controlPlane().kubeconfigPath, 'utf8'));
      const viewer = parse(readFileSync(users.viewer, 'utf8'));
      const both = join(workDir, 'both.yaml');
      writeFileSync(
        both,
        stringify({
          ...viewer,
          clusters: [
            ...viewer.clusters,
            ...admin.clusters.map((c: { name: string }) => ({ ...c, name: 'admin-cluster' })),
          ],
          users: [...viewer.users, ...admin.users],
          contexts: [
            ...viewer.contexts,
            {
              name: 'admin',
              context: { cluster: 'admin-cluster', user: admin.users[0].name, namespace: 'team-b' },
            },
          ],
        }),
      );
      const asViewer = await keyless(['status', '-n', 'team-b'], { kubeconfig: both });
      expect(asViewer.code).toBe(EXIT.denied);
      const asAdmin = await keyless(['status', '--context', 'admin'], { kubeconfig: both });
      expect(asAdmin.code).toBe(EXIT.ok);
      expect(asAdmin.stdout).toContain('wi/ledger');
      // KUBECONFIG's files merged as kubectl merges them: a missing one skipped, the first current-context wins.
      const list = [join(workDir, 'missing.yaml'), users.viewer, controlPlane().kubeconfigPath].join(':');
      expect((await keyless(['status', '-n', 'team-b'], { kubeconfig: list })).code).toBe(EXIT.denied);
      const merged = await keyless(['status', '-n', 'team-b', '--context', admin['current-context']], {
        kubeconfig: list,
      });
      expect(merged.code).toBe(EXIT.ok);
      expect(merged.stdout).toContain('wi/ledger');
      const unknown = await keyless(['status', '--context', 'nope'], { kubeconfig: list });
      expect(unknown.code).toBe(EXIT.usage);
      expect(unknown.stderr).toContain('--context nope: the kubeconfig has no such context');
      const flag = await keyless(['status', '-n', 'team-b', '--kubeconfig', controlPlane().kubeconfigPath], {
        kubeconfig: users.nobody,
      });
      expect(flag.code).toBe(EXIT.ok);

      for (const [args, code, message] of [
        [['frobnicate'], EXIT.usage, 'error: unknown command "frobnicate"'],
        [['why'], EXIT.usage, 'error: why needs an object'],
        [['status', '-o', 'wide'], EXIT.usage, 'error: -o wide: use json or yaml'],
        [['extend', 'ib/oncall-read', '--by', 'soon'], EXIT.usage, 'error: --by soon: invalid duration'],
        [
          ['why', 'wi/nope', '-n', 'shop'],
          EXIT.denied,
          'error: WorkloadIdentity nope not found in namespace shop',
        ],
      ] as const) {
        const run = await keyless(args);
        expect({ args, code: run.code, stderr: run.stderr }).toEqual({
          args,
          code,
          stderr: expect.stringMatching(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`)),
        });
      }
      const help = await keyless(['--help']);
      expect(help.code).toBe(EXIT.ok);
      expect(help.stdout).toContain('Exit codes:');
    });

    it('colours a terminal only, fits its width, and leaves colour out with NO_COLOR', async () => {
      const onTerminal = kubectlKeylessOnTerminal(
        kubectlPath() ?? 'kubectl',
        join(workDir, 'plugin-bin'),
        workDir,
        controlPlane().kubeconfigPath,
      );
      const coloured = await onTerminal(['status', '-n', 'shop'], 100);
      expect(coloured).toContain('\u001b[31mStalled\u001b[39m');
      const lines = stripVTControlCharacters(coloured).split(/\r?\n/).filter(Boolean);
      expect(lines.length).toBeGreaterThan(3);
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
      expect(lines.some((line) => line.endsWith('…'))).toBe(true);
      const plain = await onTerminal(['status', '-n', 'shop'], 100, { NO_COLOR: '1' });
      expect(plain).not.toContain('\u001b[');
      expect(plain).toContain('Stalled');
    });

    it('installs with krew from the manifest template and the archive npm run plugin:archive builds', async () => {
      const outDir = join(workDir, 'plugin');
      mkdirSync(outDir, { recursive: true });
      const built = buildPluginArchive({
        outDir,
        uri: 'https://example.org/kubectl-keyless-v{{VERSION}}.tar.gz',
        homepage: 'https://keyless.dev',
      });
      const manifest = parse(readFileSync(built.manifest, 'utf8'));
      expect(manifest.spec.platforms[0]).toMatchObject({
        uri: `https://example.org/kubectl-keyless-v${built.version}.tar.gz`,
        sha256: built.sha256,
        bin: 'kubectl-keyless',
      });
      // Only what the plugin loads: no cloud SDK travels with it.
      expect(built.packages).toEqual(
        expect.arrayContaining(['@kubernetes/client-node', 'yaml', '@sinclair/typebox']),
      );
      expect(built.packages.filter((p) => /^@(aws-sdk|azure|google-cloud|googleapis)\//.test(p))).toEqual([]);

      const krew = await ensureGoTool({ name: 'krew', packagePath: 'sigs.k8s.io/krew/cmd/krew' });
      const krewBin = join(workDir, 'krew-bin');
      mkdirSync(krewBin, { recursive: true });
      symlinkSync(krew, join(krewBin, 'kubectl-krew'));
      const krewRoot = join(workDir, 'krew-root');
      // Only krew's bin (and this Node.js) on PATH: the plugin kubectl finds is the one krew installed.
      const path = [join(krewRoot, 'bin'), krewBin, dirname(process.execPath), '/usr/bin', '/bin'].join(':');
      const env = {
        PATH: path,
        HOME: workDir,
        KREW_ROOT: krewRoot,
        KUBECONFIG: controlPlane().kubeconfigPath,
      };
      const kubectl = kubectlPath() ?? 'kubectl';
      const install = await run(
        kubectl,
        ['krew', 'install', `--manifest=${built.manifest}`, `--archive=${built.archive}`],
        env,
      );
      expect(install).toMatchObject({
        code: 0,
        stderr: expect.stringContaining('Installed plugin: keyless'),
      });
      expect((await run(kubectl, ['plugin', 'list'], env)).stdout).toContain(
        join(krewRoot, 'bin', 'kubectl-keyless'),
      );
      const status = await run(kubectl, ['keyless', 'status', '-n', 'team-b'], env);
      expect(status).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining('wi/ledger') });
      const tampered = join(outDir, 'tampered.tar.gz');
      writeFileSync(tampered, Buffer.concat([readFileSync(built.archive), Buffer.from('x')]));
      const refused = await run(
        kubectl,
        ['krew', 'install', `--manifest=${built.manifest}`, `--archive=${tampered}`],
        {
          ...env,
          KREW_ROOT: join(workDir, 'krew-root-2'),
        },
      );
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/checksum|sha256/i);
    });
  },
);

/** The output the README shows after `$ command` (its first such sample), up to the next prompt. */
function readmeSample(command: string): string {
  const lines = readFileSync('README.md', 'utf8').split('\n');
  const at = lines.indexOf(`$ ${command}`);
  if (at < 0) throw new Error(`README.md shows no output of ${command}`);
  const end = lines.findIndex((line, i) => i > at && (line.startsWith('$ ') || line.startsWith('```')));
  return lines.slice(at + 1, end).join('\n');
}

function run(executable: string, args: string[], env: Record<string, string>): Promise<PluginRun> {
  return new Promise((resolve, reject) => {
    execFile(executable, args, { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? error.code : 0;
      if (typeof code !== 'number')
        reject(new Error(`${executable} ${args.join(' ')} did not run`, { cause: error }));
      else resolve({ code, stdout, stderr });
    });
  });
}

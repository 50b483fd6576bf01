import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { afterAll, expect, it } from 'vitest';
import type { ProviderName } from '../../../src/api/index.js';
import type { KubeClient } from '../../../src/kube-api/client.js';
import { ESCALATION_RULES, FEDERATED_CREDENTIAL_WRITE } from '../../../src/policy/escalation-rules.js';
import { inlinePolicyName } from '../../../src/providers/aws/mapping.js';
import { AWS_ACCOUNT_NAME, awsAccount, describeWithAws, motoRoleName } from '../../support/aws-harness.js';
import {
  AZURE_ACCOUNT_NAME,
  AZURE_RESOURCE_GROUP,
  AZURE_SUBSCRIPTION,
  type AzureBackend,
  azureWorld,
} from '../../support/azure-world.js';
import { cloudAccount, describeWithCloud } from '../../support/cloud-world.js';
import { type GcpBackend, gcpWorld } from '../../support/gcp-world.js';
import {
  conditionOf,
  identityBinding,
  type Observed,
  waitForCondition,
  workloadIdentity,
} from '../../support/keyless-objects.js';
import { apply, type Manifest, pathOf, readManifests, waitFor } from '../../support/kube-manifests.js';
import { awsClientConfig, MOTO_ACCOUNT_ID } from '../../support/moto/index.js';

/**
 * Every built-in escalation rule, and the shapes that used to slip past a literal comparison
 * (wildcards, case, role ids, access levels, roles Keyless cannot see into, resource IDs the cloud
 * reads as another path), refused on each cloud's real provider with no cloud call: each suite's
 * account re-checks itself only every hour, so the cloud sees nothing at all while the bindings
 * are refused.
 */
interface Case {
  /** What the grant tries. */
  shape: string;
  grant: Record<string, unknown>;
  /** The built-in rule the refusal names (reason EscalationRefused)... */
  rule?: string;
  /** ...or what it says of a resource the cloud would read otherwise (reason InvalidGrant). */
  says?: string;
}

interface Row {
  cloud: string;
  shape: string;
  rule: string;
  reason: string;
  /** Cloud calls while the cloud's bindings were refused (all of them together). */
  calls: number;
}

const rows: Row[] = [];

afterAll(() => {
  if (rows.length === 0) return;
  const width = (key: keyof Row) => Math.max(key.length, ...rows.map((r) => String(r[key]).length));
  const keys: (keyof Row)[] = ['cloud', 'shape', 'rule', 'reason', 'calls'];
  const line = (r: Record<keyof Row, string | number>) =>
    keys.map((k) => String(r[k]).padEnd(width(k))).join(' | ');
  console.info(
    [
      `escalation refused with no cloud call, ${rows.length} bindings:`,
      line({ cloud: 'cloud', shape: 'shape', rule: 'rule', reason: 'reason', calls: 'calls' }),
      ...rows.map(line),
    ].join('\n'),
  );
});

const rulesOf = (cloud: ProviderName) => ESCALATION_RULES.filter((r) => r.cloud === cloud);

/**
 * Applies one binding per case for `identity` (named PREFIX-N), waits until each is refused, and
 * checks the condition, its reason and message, Ready, and that the cloud saw no call in between.
 */
async function expectRefusedWithoutCloudCalls(
  admin: KubeClient,
  cloud: string,
  identity: string,
  cases: Case[],
  cloudCalls: { reset(): void; read(): Record<string, number> },
  options: { prefix?: string; store?: (bindings: Manifest[]) => Promise<void> } = {},
): Promise<void> {
  cloudCalls.reset();
  const prefix = options.prefix ?? identity;
  const bindings = cases.map((c, i) => identityBinding(`${prefix}-${i}`, identity, [c.grant]));
  const store =
    options.store ?? (async (all: Manifest[]) => void (await Promise.all(all.map((b) => apply(admin, b)))));
  await store(bindings);
  const refused: Observed[] = await Promise.all(
    bindings.map((b) => waitForCondition(admin, b, 'Synced', {}, 60_000)),
  );
  const calls = cloudCalls.read();
  expect(calls).toEqual({});
  const total = Object.values(calls).reduce((n, c) => n + c, 0);
  cases.forEach((c, i) => {
    const synced = conditionOf(refused[i], 'Synced');
    const resource = String(c.grant.resource);
    const reason = c.rule ? 'EscalationRefused' : 'InvalidGrant';
    expect({ shape: c.shape, status: synced?.status, reason: synced?.reason }).toEqual({
      shape: c.shape,
      status: 'False',
      reason,
    });
    expect(synced?.message).toContain(`grant 0 (${resource}): `);
    expect(synced?.message).toContain(c.rule ? `guardrails.allowEscalation: ["${c.rule}"]` : c.says);
    expect(conditionOf(refused[i], 'Ready')).toMatchObject({ status: 'False', reason });
    expect(refused[i]?.metadata.finalizers ?? []).toEqual([]);
    const rule = c.rule ?? 'the resource as the cloud reads it';
    rows.push({ cloud, shape: c.shape, rule, reason: synced?.reason ?? '', calls: total });
  });
}

/**
 * Applies bindings that the IdentityBinding CRD now refuses at apply time, as if they had been
 * stored before it did: the rules on how a resource is spelled are taken out of the CRD, the
 * bindings applied, and the CRD put back (and seen refusing them again) before anything is read.
 */
async function storeBeforeTheCrdRefusedThem(admin: KubeClient, bindings: Manifest[]): Promise<void> {
  const [crd] = readManifests('crds/keyless.dev_identitybindings.yaml');
  if (!crd) throw new Error('crds/ holds no IdentityBinding CRD');
  const relaxed = structuredClone(crd) as Manifest & { spec: { versions: { schema: unknown }[] } };
  const resource = resourceSchema(relaxed);
  resource['x-kubernetes-validations'] = resource['x-kubernetes-validations']?.slice(0, 1);
  const probe = { ...bindings[0], metadata: { name: 'spelling-probe', namespace: 'shop' } } as Manifest;
  const dryRun = () =>
    admin.request('POST', pathOf(probe), { body: probe, query: { dryRun: 'All' } }).then(
      () => 'accepted',
      (err: { statusCode?: number; body?: { message?: string } }) => ({
        status: err.statusCode,
        message: err.body?.message,
      }),
    );
  await apply(admin, relaxed);
  await waitFor(
    'the relaxed CRD to accept the spelling',
    async () => (await dryRun()) === 'accepted',
    60_000,
  );
  for (const binding of bindings) await apply(admin, binding);
  await apply(admin, crd);
  const refusal = await waitFor(
    'the CRD to refuse the spelling again',
    async () => {
      const answer = await dryRun();
      return answer !== 'accepted' && answer;
    },
    60_000,
  );
  expect(refusal).toMatchObject({ status: 422, message: expect.stringContaining('spec.grants[0].resource') });
}

function resourceSchema(crd: { spec: { versions: { schema: unknown }[] } }) {
  const root = crd.spec.versions[0]?.schema as {
    openAPIV3Schema: {
      properties: {
        spec: {
          properties: {
            grants: { items: { properties: { resource: { 'x-kubernetes-validations'?: unknown[] } } } };
          };
        };
      };
    };
  };
  return root.openAPIV3Schema.properties.spec.properties.grants.items.properties.resource;
}

describeWithAws(
  'escalation refused on AWS (moto)',
  (world) => {
    const iam = () => new IAMClient(awsClientConfig(world.moto().endpoint));
    const role = () => motoRoleName('escalator', world.controlPlane().issuerUrl);
    const roles = `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/*`;
    const calls = {
      reset: () => world.proxy().resetCounts(),
      read: () => world.proxy().counts(),
    };

    it('refuses every built-in rule and its bypass shapes, and the cloud sees no call', async () => {
      const identity = workloadIdentity('escalator', AWS_ACCOUNT_NAME);
      await apply(world.admin(), identity);
      await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });

      const cases: Case[] = [
        ...rulesOf('aws').map((r) => ({
          shape: 'the rule itself',
          grant: { resource: '*', actions: [r.refuses] },
          rule: r.refuses,
        })),
        { shape: 'a service wildcard', grant: { resource: roles, actions: ['iam:*'] }, rule: 'iam:PassRole' },
        {
          shape: 'a prefix wildcard',
          grant: { resource: roles, actions: ['iam:Pass*'] },
          rule: 'iam:PassRole',
        },
        {
          shape: 'another case',
          grant: { resource: roles, actions: ['IAM:PASSROLE'] },
          rule: 'iam:PassRole',
        },
        {
          shape: '? for one character',
          grant: { resource: roles, actions: ['iam:P?ssRole'] },
          rule: 'iam:PassRole',
        },
        {
          shape: 'a verb wildcard',
          grant: { resource: roles, actions: ['iam:Attach*'] },
          rule: 'iam:AttachRolePolicy',
        },
        {
          shape: 'sts:* on every role',
          grant: { resource: roles, actions: ['sts:*'] },
          rule: 'sts:AssumeRole',
        },
        {
          shape: 'access admin on a KMS key (kms:*)',
          grant: { resource: `arn:aws:kms:us-east-1:${MOTO_ACCOUNT_ID}:key/k-1`, access: 'admin' },
          rule: 'kms:PutKeyPolicy',
        },
      ];
      await expectRefusedWithoutCloudCalls(world.admin(), 'AWS', 'escalator', cases, calls);
      const policies = await iam().send(new ListRolePoliciesCommand({ RoleName: role() }));
      expect(policies.PolicyNames).toEqual([]);
    });

    it('counts the calls of a binding it does allow, and allows a rule once the account lifts it', async () => {
      world.proxy().resetCounts();
      const allowed = identityBinding('escalator-read', 'escalator', [
        { resource: 'arn:aws:s3:::shop-invoices', access: 'read' },
      ]);
      await apply(world.admin(), allowed);
      await waitForCondition(world.admin(), allowed, 'Ready', { status: 'True' });
      expect(world.proxy().counts().PutRolePolicy).toBe(1);

      const lifted = awsAccount(world.proxy().endpoint, world.controlPlane().issuerUrl, '1h');
      (lifted.spec as Record<string, unknown>).guardrails = { allowEscalation: ['iam:PassRole'] };
      await apply(world.admin(), lifted);
      const pass = identityBinding('escalator-pass', 'escalator', [
        { resource: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/app-runner`, actions: ['iam:PassRole'] },
      ]);
      const stillRefused = identityBinding('escalator-iam', 'escalator', [
        { resource: roles, actions: ['iam:*'] },
      ]);
      await waitForCondition(world.admin(), lifted, 'Ready', { status: 'True' });
      await apply(world.admin(), pass);
      await apply(world.admin(), stillRefused);
      await waitForCondition(world.admin(), pass, 'Ready', { status: 'True' });
      const written = await iam().send(
        new GetRolePolicyCommand({
          RoleName: role(),
          PolicyName: inlinePolicyName({ cluster: 'it', namespace: 'shop', name: 'escalator-pass', uid: '' }),
        }),
      );
      expect(decodeURIComponent(written.PolicyDocument ?? '')).toContain('iam:PassRole');
      const refused = await waitForCondition(world.admin(), stillRefused, 'Synced', {
        status: 'False',
        reason: 'EscalationRefused',
      });
      expect(conditionOf(refused, 'Synced')?.message).toContain('could allow iam:CreatePolicy,');
    });
  },
  { resyncInterval: '1h' },
);

const PROJECT = { projectId: 'keyless-test', projectNumber: '123456789012' };
const PROJECT_RESOURCE = `//cloudresourcemanager.googleapis.com/projects/${PROJECT.projectId}`;
const CUSTOM_ROLE = `projects/${PROJECT.projectId}/roles/deployer`;

describeWithCloud<GcpBackend>(
  'escalation refused on Google Cloud (the wire-level fake)',
  gcpWorld(PROJECT, { resyncInterval: '1h' }),
  (world) => {
    const fake = () => world.backend().fake;
    const calls = () => ({
      reset: () => fake().resetCounts(),
      read: () => fake().counts() as Record<string, number>,
    });

    it('refuses every built-in rule on the project, and the cloud sees no call', async () => {
      const identity = workloadIdentity('escalator', 'gcp-test');
      await apply(world.admin(), identity);
      await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
      // The account checks its deny policy once the new principal has settled (PRINCIPALS_SETTLE_MS
      // later); that call belongs to the identity, not to the bindings counted below.
      fake().resetCounts();
      await waitFor(
        'the account to check its deny policy for the new principal',
        async () => (fake().counts()['denyPolicies.get'] ?? 0) > 0,
        30_000,
      );
      const cases: Case[] = [
        ...rulesOf('gcp').map((r) => ({
          shape: 'the rule itself',
          grant: { resource: PROJECT_RESOURCE, role: r.refuses },
          rule: r.refuses,
        })),
        {
          shape: 'access write on the project',
          grant: { resource: PROJECT_RESOURCE, access: 'write' },
          rule: 'roles/editor',
        },
        {
          shape: 'access admin on the project',
          grant: { resource: PROJECT_RESOURCE, access: 'admin' },
          rule: 'roles/owner',
        },
        {
          shape: 'a custom role of the project',
          grant: { resource: PROJECT_RESOURCE, role: CUSTOM_ROLE },
          rule: CUSTOM_ROLE,
        },
        {
          shape: 'a custom role of the organization',
          grant: { resource: PROJECT_RESOURCE, role: 'organizations/123456/roles/auditor' },
          rule: 'organizations/123456/roles/auditor',
        },
      ];
      await expectRefusedWithoutCloudCalls(world.admin(), 'Google Cloud', 'escalator', cases, calls());
    });

    it('refuses names stored before the CRD refused their spelling, and the cloud sees no call', async () => {
      const cases: Case[] = [
        {
          shape: 'a .. segment (stored before the CRD rule)',
          grant: { resource: '//storage.googleapis.com/projects/_/buckets/shop-reports/..', access: 'read' },
          says: 'its segment ".." (at character 58) is a dot segment',
        },
        {
          shape: 'a percent-escaped slash (stored before the CRD rule)',
          grant: { resource: '//storage.googleapis.com/projects/_/buckets/shop%2F..', access: 'read' },
          says: 'it holds % at character 49',
        },
      ];
      await expectRefusedWithoutCloudCalls(world.admin(), 'Google Cloud', 'escalator', cases, calls(), {
        prefix: 'escalator-spelling',
        store: (bindings) => storeBeforeTheCrdRefusedThem(world.admin(), bindings),
      });
    });

    it('allows a custom role once the account names that very role', async () => {
      const spec = {
        provider: 'gcp',
        gcp: { ...PROJECT, workloadIdentityPool: `${PROJECT.projectId}.svc.id.goog` },
      };
      const lifted = cloudAccount(
        'gcp-test',
        { ...spec, resyncInterval: '1h', guardrails: { allowEscalation: [CUSTOM_ROLE] } },
        fake().endpoint,
      );
      await apply(world.admin(), lifted);
      await waitForCondition(world.admin(), lifted, 'Ready', { status: 'True' });
      fake().resetCounts();
      const custom = identityBinding('escalator-custom', 'escalator', [
        { resource: PROJECT_RESOURCE, role: CUSTOM_ROLE },
      ]);
      const other = identityBinding('escalator-custom-other', 'escalator', [
        { resource: PROJECT_RESOURCE, role: `projects/${PROJECT.projectId}/roles/other` },
      ]);
      await apply(world.admin(), custom);
      await apply(world.admin(), other);
      await waitForCondition(world.admin(), custom, 'Ready', { status: 'True' });
      expect(fake().counts()['projects.setIamPolicy']).toBe(1);
      const refused = await waitForCondition(world.admin(), other, 'Synced', {
        status: 'False',
        reason: 'EscalationRefused',
      });
      expect(conditionOf(refused, 'Synced')?.message).toContain(
        'is a custom role, refused by default: Keyless cannot see what it grants',
      );
    });

    it('counts the calls of a binding it does allow', async () => {
      fake().resetCounts();
      const allowed = identityBinding('escalator-read', 'escalator', [
        { resource: '//storage.googleapis.com/projects/_/buckets/shop-reports', access: 'read' },
      ]);
      await apply(world.admin(), allowed);
      await waitForCondition(world.admin(), allowed, 'Ready', { status: 'True' });
      expect(fake().counts()['projects.setIamPolicy']).toBe(1);
    });
  },
);

const SUBSCRIPTION = `/subscriptions/${AZURE_SUBSCRIPTION}`;
const GROUP = `${SUBSCRIPTION}/resourceGroups/shop`;
const OWNER_ID = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
/** Where the account's managed identities live. */
const IDENTITY_GROUP = `${SUBSCRIPTION}/resourceGroups/${AZURE_RESOURCE_GROUP}`;
const CUSTOM_ID = '11111111-2222-3333-4444-555555555555';
const CUSTOM_DEFINITION = `${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${CUSTOM_ID}`;

describeWithCloud<AzureBackend>(
  'escalation refused on Azure (the wire-level ARM fake)',
  azureWorld({ resyncInterval: '1h' }),
  (world) => {
    const fake = () => world.backend().fake;
    const calls = () => ({ reset: () => fake().resetCounts(), read: () => fake().counts() });

    it('refuses every built-in rule, by name in any case and by id, and the cloud sees no call', async () => {
      const identity = workloadIdentity('escalator', AZURE_ACCOUNT_NAME);
      await apply(world.admin(), identity);
      await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
      const cases: Case[] = [
        ...rulesOf('azure').map((r) => ({
          shape: r.carriedBy ? 'Contributor, which carries it' : 'the rule itself',
          grant: r.carriedBy
            ? { resource: IDENTITY_GROUP, role: 'Contributor' }
            : { resource: r.scope === 'subscription' ? SUBSCRIPTION : GROUP, role: r.refuses },
          rule: r.refuses,
        })),
        { shape: 'lower case', grant: { resource: GROUP, role: 'owner' }, rule: 'Owner' },
        { shape: 'upper case', grant: { resource: SUBSCRIPTION, role: 'CONTRIBUTOR' }, rule: 'Contributor' },
        { shape: 'a role definition GUID', grant: { resource: GROUP, role: OWNER_ID }, rule: 'Owner' },
        {
          shape: 'a full role definition id',
          grant: {
            resource: GROUP,
            role: `${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${OWNER_ID}`,
          },
          rule: 'Owner',
        },
        {
          shape: 'access write on the subscription',
          grant: { resource: SUBSCRIPTION, access: 'write' },
          rule: 'Contributor',
        },
        {
          shape: "the identities' group in other letters",
          grant: {
            resource: `${SUBSCRIPTION}/resourcegroups/${AZURE_RESOURCE_GROUP.toUpperCase()}`,
            role: 'contributor',
          },
          rule: FEDERATED_CREDENTIAL_WRITE,
        },
        {
          shape: "access write on the identities' group",
          grant: { resource: IDENTITY_GROUP, access: 'write' },
          rule: FEDERATED_CREDENTIAL_WRITE,
        },
        {
          shape: 'Contributor on a managed identity elsewhere',
          grant: {
            resource: `${GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/other`,
            role: 'Contributor',
          },
          rule: FEDERATED_CREDENTIAL_WRITE,
        },
        {
          shape: 'a role definition GUID Keyless does not know',
          grant: { resource: GROUP, role: CUSTOM_ID },
          rule: CUSTOM_ID,
        },
        {
          shape: 'a full role definition id Keyless does not know',
          grant: { resource: GROUP, role: CUSTOM_DEFINITION },
          rule: CUSTOM_DEFINITION,
        },
      ];
      await expectRefusedWithoutCloudCalls(world.admin(), 'Azure', 'escalator', cases, calls());
    });

    it('refuses IDs stored before the CRD refused their spelling, and the cloud sees no call', async () => {
      const cases: Case[] = [
        {
          shape: 'Contributor climbing back to the subscription (stored before the CRD rule)',
          grant: {
            resource: `${GROUP}/providers/Microsoft.Storage/storageAccounts/sa/../../../../..`,
            role: 'Contributor',
          },
          says: 'segment 9 is "..", which the HTTP client resolves as a step up to the parent',
        },
        {
          shape: 'access write on a resource group named .. (stored before the CRD rule)',
          grant: { resource: `${SUBSCRIPTION}/resourceGroups/..`, access: 'write' },
          says: 'segment 4 is ".."',
        },
        {
          shape: 'percent-escaped dots (stored before the CRD rule)',
          grant: { resource: `${GROUP}/%2e%2e`, role: 'Contributor' },
          says: 'it holds % at character',
        },
        {
          shape: 'a trailing slash (stored before the CRD rule)',
          grant: { resource: `${SUBSCRIPTION}/`, role: 'Contributor' },
          says: 'it ends with /',
        },
        {
          shape: 'a backslash (stored before the CRD rule)',
          grant: { resource: `${GROUP}\\..`, role: 'Contributor' },
          says: 'it holds a backslash at character',
        },
      ];
      await expectRefusedWithoutCloudCalls(world.admin(), 'Azure', 'escalator', cases, calls(), {
        prefix: 'escalator-spelling',
        store: (bindings) => storeBeforeTheCrdRefusedThem(world.admin(), bindings),
      });
    });

    it('counts the calls of a binding it does allow, Contributor on a resource group included', async () => {
      fake().resetCounts();
      const allowed = identityBinding('escalator-group', 'escalator', [
        { resource: GROUP, role: 'Contributor' },
      ]);
      await apply(world.admin(), allowed);
      await waitForCondition(world.admin(), allowed, 'Ready', { status: 'True' });
      expect(Object.keys(fake().counts()).length).toBeGreaterThan(0);
    });
  },
);

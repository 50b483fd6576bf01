import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CloudAccountSpec, ProviderName } from '../../../src/api/index.js';
import { ESCALATION_RULES } from '../../../src/policy/escalation-rules.js';
import { globMatch } from '../../../src/policy/glob.js';
import { guardrailRefusal, namespaceAllowed } from '../../../src/policy/guardrails.js';
import type { ResolvedGrant } from '../../../src/providers/provider.js';
import { nonStars, referenceRegex, stringsUpTo } from '../../support/glob-reference.js';
import { armReading } from '../../support/url-path-reading.js';

type Guardrails = NonNullable<CloudAccountSpec['guardrails']>;

const SUBSCRIPTION_ID = '00000000-0000-0000-0000-000000000001';
const SUB = `/subscriptions/${SUBSCRIPTION_ID}`;
/** Where the test account's managed identities live. */
const IDENTITIES = `${SUB}/resourceGroups/identities`;
const AZURE = {
  subscriptionId: SUBSCRIPTION_ID,
  tenantId: '00000000-0000-0000-0000-0000000000aa',
  resourceGroup: 'identities',
  location: 'westeurope',
  issuerUrl: 'https://issuer.example',
};
const OWNER_ID = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';

const actions = (resource: string, ...permissions: string[]): ResolvedGrant => ({
  resource,
  access: undefined,
  permissions,
  permissionKind: 'action',
  scopes: [resource],
});
const role = (resource: string, permission: string, scope = resource): ResolvedGrant => ({
  resource,
  access: undefined,
  permissions: [permission],
  permissionKind: 'role',
  scopes: [scope],
});
const read = (resource: string): ResolvedGrant => ({ ...actions(resource, 's3:GetObject'), access: 'read' });

/** The check on an account of `provider` (an Azure one keeps its identities in IDENTITIES). */
const refusal = (
  provider: ProviderName,
  guardrails: Guardrails | undefined,
  grants: ResolvedGrant[],
  lifetimeMs?: number,
  identityResourceGroup?: string,
) =>
  guardrailRefusal(
    { provider, ...(provider === 'azure' ? { azure: AZURE } : {}), ...(guardrails ? { guardrails } : {}) },
    grants,
    { lifetimeMs, identityResourceGroup },
  );

/** Every built-in rule of a cloud lifted, so a test sees only the account's own guardrails. */
const allLifted = (cloud: ProviderName) =>
  ESCALATION_RULES.filter((r) => r.cloud === cloud).map((r) => r.refuses);

describe('globMatch', () => {
  it.each([
    ['team-*', 'team-a', true],
    ['team-*', 'team-', true],
    ['team-*', 'teams', false],
    ['*', 'anything', true],
    ['a.b', 'axb', false],
    ['(x)', '(x)', true],
  ])('%s against %s is %s', (pattern, value, expected) => {
    expect(globMatch(pattern, value)).toBe(expected);
  });
});

describe('namespaceAllowed', () => {
  it.each([
    [undefined, 'any', true],
    [{}, 'any', true],
    [{ allowedNamespaces: [] }, 'any', true],
    [{ allowedNamespaces: ['shop', 'team-*'] }, 'team-x', true],
    [{ allowedNamespaces: ['shop', 'team-*'] }, 'kube-system', false],
  ])('%j allows %s: %s', (guardrails, namespace, expected) => {
    expect(namespaceAllowed(guardrails, namespace)).toBe(expected);
  });
});

describe("the account's own guardrails", () => {
  it.each<{
    name: string;
    provider?: ProviderName;
    guardrails: Guardrails;
    grants: ResolvedGrant[];
    lifetimeMs?: number;
    expected: string[];
  }>([
    { name: 'none', guardrails: {}, grants: [read('arn:aws:s3:::a')], expected: [] },
    {
      name: 'a resource outside allowedResources',
      guardrails: { allowedResources: ['arn:aws:s3:::shop-*'] },
      grants: [read('arn:aws:s3:::shop-1'), read('arn:aws:s3:::finance')],
      expected: [
        "grant 1 (arn:aws:s3:::finance): the resource is not inside the account's allowedResources arn:aws:s3:::shop-*",
      ],
    },
    {
      name: '* lies inside no allowed pattern but *',
      guardrails: { allowedResources: ['arn:aws:s3:::shop-*'], allowEscalation: allLifted('aws') },
      grants: [actions('*', 's3:GetObject'), actions('arn:aws:s3:::sh*', 's3:GetObject')],
      expected: [
        "grant 0 (*): the resource is not inside the account's allowedResources arn:aws:s3:::shop-* (a pattern lies inside an allowed one only when everything it matches does)",
        "grant 1 (arn:aws:s3:::sh*): the resource is not inside the account's allowedResources arn:aws:s3:::shop-* (a pattern lies inside an allowed one only when everything it matches does)",
      ],
    },
    {
      name: 'a wildcard resource inside an allowed pattern',
      guardrails: { allowedResources: ['arn:aws:s3:::shop-*'] },
      grants: [
        actions('arn:aws:s3:::shop-logs/*', 's3:GetObject'),
        actions('arn:aws:s3:::shop-?', 's3:GetObject'),
      ],
      expected: [],
    },
    {
      name: 'Azure resource IDs compare without case',
      provider: 'azure',
      guardrails: { allowedResources: [`${SUB}/resourceGroups/shop-*`] },
      grants: [role(`${SUB}/resourcegroups/SHOP-data`, 'Reader')],
      expected: [],
    },
    {
      name: 'access above maxAccess',
      guardrails: { maxAccess: 'write' },
      grants: [{ ...read('r'), access: 'admin' }],
      expected: ["grant 0 (r): access admin exceeds the account's maxAccess write"],
    },
    {
      name: 'maxAccess holds for raw actions: a service wildcard is admin',
      guardrails: { maxAccess: 'write' },
      grants: [actions('arn:aws:s3:::b', 's3:*'), actions('arn:aws:s3:::b', 's3:GetObject', 's3:PutObject')],
      expected: [
        "grant 0 (arn:aws:s3:::b): action s3:* amounts to admin (s3:* is every action of s3), over the account's maxAccess write",
      ],
    },
    {
      name: 'maxAccess read refuses a write action and a write role',
      provider: 'gcp',
      guardrails: { maxAccess: 'read' },
      grants: [
        role('//storage.googleapis.com/projects/_/buckets/b', 'roles/storage.objectViewer', 'projects/p'),
        role('//storage.googleapis.com/projects/_/buckets/b', 'roles/storage.objectUser', 'projects/p'),
      ],
      expected: [
        "grant 1 (//storage.googleapis.com/projects/_/buckets/b): role roles/storage.objectUser amounts to write (roles/storage.objectUser writes), over the account's maxAccess read",
      ],
    },
    {
      name: 'a denied action named exactly, in another case, and through a wildcard',
      guardrails: { deniedActions: ['s3:Delete*'] },
      grants: [
        actions('arn:aws:s3:::b', 's3:DeleteObject'),
        actions('arn:aws:s3:::b', 'S3:deleteobject'),
        actions('arn:aws:s3:::b', 's3:*Object'),
        actions('arn:aws:s3:::b', 's3:GetObject'),
      ],
      expected: [
        "grant 0 (arn:aws:s3:::b): action s3:DeleteObject is denied by the account's deniedActions entry s3:Delete*",
        "grant 1 (arn:aws:s3:::b): action S3:deleteobject is denied by the account's deniedActions entry s3:Delete*",
        "grant 2 (arn:aws:s3:::b): action s3:*Object could allow what the account's deniedActions entry s3:Delete* denies",
      ],
    },
    {
      name: "the issue's example account refuses * on *",
      guardrails: { deniedActions: ['iam:*', 'organizations:*'], maxAccess: 'write' },
      grants: [actions('*', '*')],
      expected: [
        "grant 0 (*): action * amounts to admin (* is every action of every service), over the account's maxAccess write",
        "grant 0 (*): action * could allow what the account's deniedActions entry iam:* denies",
      ],
    },
    {
      name: 'a denied role: Google Cloud compares exactly',
      provider: 'gcp',
      guardrails: { deniedRoles: ['roles/storage.*'] },
      grants: [role('p', 'roles/storage.admin'), role('p', 'roles/Storage.admin')],
      expected: [
        "grant 0 (p): role roles/storage.admin is denied by the account's deniedRoles entry roles/storage.*",
      ],
    },
    {
      name: 'a denied role: Azure compares without case, and knows built-in roles by id',
      provider: 'azure',
      guardrails: { deniedRoles: ['storage blob data *', 'key vault secrets officer'] },
      grants: [
        role(`${SUB}/resourceGroups/rg`, 'Storage Blob Data Owner'),
        role(`${SUB}/resourceGroups/rg`, 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'),
        role(`${SUB}/resourceGroups/rg`, 'Reader'),
      ],
      expected: [
        `grant 0 (${SUB}/resourceGroups/rg): role Storage Blob Data Owner is denied by the account's deniedRoles entry storage blob data *`,
        `grant 1 (${SUB}/resourceGroups/rg): role b86a8fe4-44ce-4948-aee5-eccb2c155cd7 (Key Vault Secrets Officer) is denied by the account's deniedRoles entry key vault secrets officer`,
      ],
    },
    {
      name: 'a permanent grant where only temporary ones are allowed',
      guardrails: { maxGrantDuration: '8h' },
      grants: [read('r')],
      expected: ['grants must be temporary: the account allows at most 8h; set expiresAt or duration'],
    },
    {
      name: 'a temporary grant longer than allowed',
      guardrails: { maxGrantDuration: '8h' },
      grants: [read('r')],
      lifetimeMs: 9 * 3_600_000,
      expected: ["grants last longer than the account's maxGrantDuration 8h"],
    },
    {
      name: 'a temporary grant within the limit',
      guardrails: { maxGrantDuration: '8h' },
      grants: [read('r')],
      lifetimeMs: 8 * 3_600_000,
      expected: [],
    },
  ])('$name', ({ provider, guardrails, grants, lifetimeMs, expected }) => {
    const result = refusal(provider ?? 'aws', guardrails, grants, lifetimeMs);
    expect(result?.problems ?? []).toEqual(expected);
    if (result) expect(result.reason).toBe('GuardrailViolation');
  });
});

describe('built-in escalation rules, with no guardrails at all', () => {
  it.each<{ name: string; provider?: ProviderName; grants: ResolvedGrant[]; refused: string[] }>([
    {
      name: "the issue's example: PassRole and CreatePolicyVersion on every role",
      grants: [actions('arn:aws:iam::123456789012:role/*', 'iam:CreatePolicyVersion', 'iam:PassRole')],
      refused: ['iam:CreatePolicyVersion', 'iam:PassRole'],
    },
    { name: '* on *', grants: [actions('*', '*')], refused: ['*'] },
    {
      name: 'wildcards and case that cover a refused action',
      grants: [
        actions('*', 'iam:*'),
        actions('*', 'iam:Pass*'),
        actions('*', 'IAM:PASSROLE'),
        actions('*', 'iam:P?ssRole'),
        actions('*', 'iam:Put*'),
        actions('*', 'Organizations:ListAccounts'),
      ],
      refused: [
        'iam:PassRole',
        'iam:PassRole',
        'iam:PassRole',
        'iam:PassRole',
        'iam:PutRolePolicy',
        'organizations:*',
      ],
    },
    {
      name: 'sts:AssumeRole only on a wildcard resource',
      grants: [
        actions('*', 'sts:AssumeRole'),
        actions('arn:aws:iam::123456789012:role/*', 'sts:*'),
        actions('arn:aws:iam::123456789012:role/reporting', 'sts:AssumeRole'),
      ],
      refused: ['sts:AssumeRole', 'sts:AssumeRole'],
    },
    {
      name: 'access admin on a KMS key resolves to kms:*, which includes kms:PutKeyPolicy',
      grants: [{ ...actions('arn:aws:kms:eu-west-1:123456789012:key/k', 'kms:*'), access: 'admin' }],
      refused: ['kms:PutKeyPolicy'],
    },
    {
      name: 'what the catalogue grants for read and write, and admin on S3, pass',
      grants: [
        { ...actions('arn:aws:s3:::b', 's3:GetObject', 's3:ListBucket'), access: 'read' },
        { ...actions('arn:aws:s3:::b', 's3:PutObject'), access: 'write' },
        { ...actions('arn:aws:s3:::b', 's3:*'), access: 'admin' },
        actions('arn:aws:iam::123456789012:role/*', 'iam:GetRole'),
      ],
      refused: [],
    },
    {
      name: 'Google Cloud: owner and editor anywhere, impersonation on the project only',
      provider: 'gcp',
      grants: [
        role('//cloudresourcemanager.googleapis.com/projects/p', 'roles/owner', 'projects/p'),
        {
          ...role('//cloudresourcemanager.googleapis.com/projects/p', 'roles/editor', 'projects/p'),
          access: 'write',
        },
        role(
          '//cloudresourcemanager.googleapis.com/projects/p',
          'roles/iam.serviceAccountUser',
          'projects/p',
        ),
        role(
          '//iam.googleapis.com/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com',
          'roles/iam.serviceAccountTokenCreator',
          'projects/-/serviceAccounts/a@p.iam.gserviceaccount.com',
        ),
      ],
      refused: ['roles/owner', 'roles/editor', 'roles/iam.serviceAccountUser'],
    },
    {
      name: 'Google Cloud compares roles exactly (roles/Owner is no role at all, and Google refuses it)',
      provider: 'gcp',
      grants: [role('//cloudresourcemanager.googleapis.com/projects/p', 'roles/Owner', 'projects/p')],
      refused: [],
    },
    {
      name: 'Azure: any case, by definition id, and Contributor only at subscription scope',
      provider: 'azure',
      grants: [
        role(`${SUB}/resourceGroups/rg`, 'owner'),
        role(`${SUB}/resourceGroups/rg`, OWNER_ID),
        role(
          `${SUB}/resourceGroups/rg`,
          `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${OWNER_ID.toUpperCase()}`,
        ),
        role(SUB, 'CONTRIBUTOR'),
        { ...role(SUB, 'Contributor'), access: 'write' },
        role(`${SUB}/resourceGroups/rg`, 'Contributor'),
      ],
      refused: ['Owner', 'Owner', 'Owner', 'Contributor', 'Contributor'],
    },
  ])('$name', ({ provider, grants, refused }) => {
    const result = refusal(provider ?? 'aws', undefined, grants);
    expect(result?.reason === 'EscalationRefused').toBe(refused.length > 0);
    const rules = (result?.problems ?? []).map((line) => /allowEscalation: \["([^"]+)"\]/.exec(line)?.[1]);
    expect(rules).toEqual(refused);
  });

  it('names the grant, the rule, why, and how to lift it', () => {
    expect(refusal('aws', undefined, [actions('*', 'iam:Pass*')])?.problems).toEqual([
      'grant 0 (*): action iam:Pass* could allow iam:PassRole, refused by default: it hands a role to a service ' +
        'the workload controls (EC2, Lambda, ECS…), which then acts with that role; guardrails.allowEscalation: ' +
        '["iam:PassRole"] allows it in this account',
    ]);
    expect(refusal('aws', undefined, [actions('*', 'iam:*')])?.problems[0]).toMatch(
      /^grant 0 \(\*\): action iam:\* could allow iam:PassRole, refused by default: .* \(and 18 more built-in rules\)$/,
    );
    expect(refusal('azure', undefined, [role(SUB, 'contributor')])?.problems).toEqual([
      `grant 0 (${SUB}): role contributor at subscription scope is refused by default: it manages every resource ` +
        'in the subscription: runs code as the managed identities attached to them; guardrails.allowEscalation: ' +
        '["Contributor"] allows it in this account (and 1 more built-in rule)',
    ]);
    expect(refusal('azure', undefined, [role(IDENTITIES, 'Contributor')])?.problems).toEqual([
      `grant 0 (${IDENTITIES}): role Contributor could allow ` +
        'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write on the resource ' +
        "group of the account's managed identities, a subscription holding it, or a managed identity, refused by " +
        "default: it adds a federated credential to its own or another of the account's identities, so a token " +
        'from any issuer it names becomes that identity; guardrails.allowEscalation: ' +
        '["Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write"] allows it in this account',
    ]);
  });

  it('hold when the account sets its own denied lists', () => {
    const result = refusal('aws', { deniedActions: ['s3:DeleteBucket'] }, [actions('*', 'iam:PassRole')]);
    expect(result).toMatchObject({ reason: 'EscalationRefused' });
  });

  it('are lifted one by one with allowEscalation, as the cloud spells names; a pattern lifts nothing', () => {
    const grant = actions('arn:aws:iam::123456789012:role/*', 'iam:PassRole', 'iam:CreatePolicyVersion');
    expect(refusal('aws', { allowEscalation: ['iam:passrole'] }, [grant])?.problems).toEqual([
      expect.stringContaining('action iam:CreatePolicyVersion is refused by default'),
    ]);
    expect(
      refusal('aws', { allowEscalation: ['iam:PassRole', 'iam:CreatePolicyVersion'] }, [grant]),
    ).toBeUndefined();
    expect(refusal('aws', { allowEscalation: ['iam:*'] }, [grant])?.problems).toEqual([
      expect.stringContaining('action iam:PassRole is refused by default'),
      expect.stringContaining('action iam:CreatePolicyVersion is refused by default'),
      "guardrails.allowEscalation names iam:*, which is not a built-in rule for aws (see the README's table of them)",
    ]);
    expect(
      refusal('gcp', { allowEscalation: ['roles/Owner'] }, [role('p', 'roles/owner', 'projects/p')]),
    ).toMatchObject({
      reason: 'EscalationRefused',
    });
    expect(
      refusal('azure', { allowEscalation: ['owner'] }, [role(`${SUB}/resourceGroups/rg`, 'Owner')]),
    ).toBeUndefined();
    // Owner on the subscription also reaches the managed identities: that rule is lifted on its own.
    expect(refusal('azure', { allowEscalation: ['owner'] }, [role(SUB, 'Owner')])?.problems).toEqual([
      expect.stringContaining('guardrails.allowEscalation: ["Microsoft.ManagedIdentity/'),
    ]);
  });

  it("reports the account's own rule, not the built-in one, when both refuse a permission", () => {
    const result = refusal('aws', { deniedActions: ['iam:*'] }, [actions('*', 'iam:PassRole')]);
    expect(result).toEqual({
      reason: 'GuardrailViolation',
      problems: ["grant 0 (*): action iam:PassRole is denied by the account's deniedActions entry iam:*"],
    });
    const mixed = refusal('aws', { deniedActions: ['iam:*'] }, [
      actions('*', 'iam:PassRole', 'kms:PutKeyPolicy'),
    ]);
    expect(mixed?.reason).toBe('EscalationRefused');
    expect(mixed?.problems).toEqual([
      "grant 0 (*): action iam:PassRole is denied by the account's deniedActions entry iam:*",
      expect.stringContaining('action kms:PutKeyPolicy is refused by default'),
    ]);
  });
});

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('identifiers the cloud would read otherwise', () => {
  it.each<{
    name: string;
    provider: ProviderName;
    guardrails?: Guardrails;
    grant: ResolvedGrant;
    says: string;
  }>([
    {
      name: 'Contributor two levels below the subscription, climbing back to it',
      provider: 'azure',
      grant: role(`${SUB}/resourceGroups/rg/providers/Microsoft.Storage/x/../../../../..`, 'Contributor'),
      says: 'the resource is not a canonical Azure resource ID: segment 8 is "..", which the HTTP client resolves as a step up to the parent',
    },
    {
      name: 'access write on a resource group named ..',
      provider: 'azure',
      grant: { ...role(`${SUB}/resourceGroups/..`, 'Contributor'), access: 'write' },
      says: 'segment 4 is ".."',
    },
    {
      name: 'a . segment',
      provider: 'azure',
      grant: role(`${SUB}/./resourceGroups/x`, 'Contributor'),
      says: 'segment 3 is ".", which the HTTP client removes',
    },
    {
      name: 'two slashes',
      provider: 'azure',
      grant: role(`${SUB}//resourceGroups/x`, 'Contributor'),
      says: 'segment 3 is empty (two slashes)',
    },
    {
      name: 'percent-encoded dots',
      provider: 'azure',
      grant: role(`${SUB}/resourceGroups/x/%2e%2e`, 'Contributor'),
      says: 'it holds % at character 70: the cloud decodes percent-escapes',
    },
    {
      name: 'a trailing slash',
      provider: 'azure',
      grant: role(`${SUB}/`, 'Contributor'),
      says: 'it ends with /',
    },
    {
      name: 'a path that climbs out of allowedResources',
      provider: 'azure',
      guardrails: { allowedResources: [`${SUB}/resourceGroups/shop-*`] },
      grant: role(`${SUB}/resourceGroups/shop-x/../finance`, 'Reader'),
      says: 'segment 5 is ".."',
    },
    {
      name: 'a Google Cloud name that climbs out of allowedResources',
      provider: 'gcp',
      guardrails: { allowedResources: ['//storage.googleapis.com/projects/_/buckets/shop-*'] },
      grant: role(
        '//storage.googleapis.com/projects/_/buckets/shop-1/../finance',
        'roles/storage.objectViewer',
        'projects/p',
      ),
      says: 'the resource is not a canonical Google Cloud resource name: its segment ".." (at character 52) is a dot segment',
    },
    {
      name: 'a Google Cloud scope with a .. segment',
      provider: 'gcp',
      grant: role('//cloudresourcemanager.googleapis.com/projects/p', 'roles/viewer', 'projects/p/..'),
      says: 'its scope projects/p/.. is not a canonical Google Cloud resource name: its segment ".." (at character 12)',
    },
  ])(
    'refuses $name, as InvalidGrant, judging nothing else on it',
    ({ provider, guardrails, grant, says }) => {
      const result = refusal(provider, guardrails, [grant]);
      expect(result?.reason).toBe('InvalidGrant');
      expect(result?.problems).toHaveLength(1);
      expect(result?.problems[0]).toMatch(
        new RegExp(`^grant 0 \\(${escaped(grant.resource)}\\): (the resource|its scope)`),
      );
      expect(result?.problems[0]).toContain(says);
    },
  );

  it('reads AWS ARNs as text, as IAM does', () => {
    expect(refusal('aws', undefined, [actions('arn:aws:s3:::b/../x/', 's3:GetObject')])).toBeUndefined();
  });

  it('judges an Azure scope by its level whatever its letter case', () => {
    const upper = `/SUBSCRIPTIONS/${SUBSCRIPTION_ID.toUpperCase()}`;
    expect(refusal('azure', undefined, [role(upper, 'Contributor')])?.problems[0]).toContain(
      'at subscription scope is refused by default',
    );
    expect(
      refusal('azure', undefined, [role(`${SUB}/RESOURCEGROUPS/Identities`, 'contributor')]),
    ).toMatchObject({
      reason: 'EscalationRefused',
    });
  });

  it('says EscalationRefused when another grant escalates', () => {
    const result = refusal('azure', undefined, [role(`${SUB}/x/..`, 'Reader'), role(SUB, 'Owner')]);
    expect(result?.reason).toBe('EscalationRefused');
    expect(result?.problems[0]).toContain('grant 0');
  });
});

describe("the account's managed identities", () => {
  const FIC = 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write';
  const identity = `${SUB}/resourceGroups/shop/providers/Microsoft.ManagedIdentity/userAssignedIdentities/other`;
  const CONTRIBUTOR_ID = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
  it.each<{ name: string; grant: ResolvedGrant; identityGroup?: string; refused: string[] }>([
    { name: 'Contributor on their resource group', grant: role(IDENTITIES, 'Contributor'), refused: [FIC] },
    {
      name: 'Contributor on it in another case',
      grant: role(`${SUB.toUpperCase()}/resourcegroups/IDENTITIES`, 'contributor'),
      refused: [FIC],
    },
    { name: 'Contributor by definition id', grant: role(IDENTITIES, CONTRIBUTOR_ID), refused: [FIC] },
    {
      name: 'access write on it',
      grant: { ...role(IDENTITIES, 'Contributor'), access: 'write' },
      refused: [FIC],
    },
    {
      name: 'Contributor on a managed identity anywhere',
      grant: role(identity, 'Contributor'),
      refused: [FIC],
    },
    { name: 'Contributor on the subscription', grant: role(SUB, 'Contributor'), refused: ['Contributor'] },
    {
      name: 'Managed Identity Contributor on their resource group',
      grant: role(IDENTITIES, 'Managed Identity Contributor'),
      refused: ['Managed Identity Contributor'],
    },
    {
      name: "Contributor on the identity's own resource group",
      grant: role(`${SUB}/resourceGroups/team-ids`, 'Contributor'),
      identityGroup: 'Team-IDs',
      refused: [FIC],
    },
    { name: 'Reader on their resource group', grant: role(IDENTITIES, 'Reader'), refused: [] },
    {
      name: 'Contributor on a storage account in their resource group',
      grant: role(`${IDENTITIES}/providers/Microsoft.Storage/storageAccounts/sa`, 'Contributor'),
      refused: [],
    },
    {
      name: 'Contributor on another resource group',
      grant: role(`${SUB}/resourceGroups/shop`, 'Contributor'),
      refused: [],
    },
    {
      name: 'Contributor on a resource group of that name in another subscription',
      grant: role(
        '/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/identities',
        'Contributor',
      ),
      refused: [],
    },
  ])('$name: refused by $refused', ({ grant, identityGroup, refused }) => {
    const result = refusal('azure', undefined, [grant], undefined, identityGroup);
    const rules = (result?.problems ?? []).map((line) => /allowEscalation: \["([^"]+)"\]/.exec(line)?.[1]);
    expect(rules).toEqual(refused);
  });

  it('is lifted by its own name, in any case, and only by it', () => {
    expect(
      refusal('azure', { allowEscalation: [FIC.toLowerCase()] }, [role(IDENTITIES, 'Contributor')]),
    ).toBeUndefined();
    expect(
      refusal('azure', { allowEscalation: ['Contributor'] }, [role(SUB, 'Contributor')])?.problems,
    ).toEqual([expect.stringContaining(`guardrails.allowEscalation: ["${FIC}"]`)]);
  });

  it('counts every resource group when the account does not say where its identities live', () => {
    const result = guardrailRefusal(
      { provider: 'azure' },
      [role(`${SUB}/resourceGroups/any`, 'Contributor')],
      {
        lifetimeMs: undefined,
      },
    );
    expect(result?.reason).toBe('EscalationRefused');
  });
});

describe('roles Keyless cannot judge', () => {
  const PROJECT = '//cloudresourcemanager.googleapis.com/projects/p';
  const CUSTOM_ID = '11111111-2222-3333-4444-555555555555';
  const customById = `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${CUSTOM_ID}`;

  it.each<[ProviderName, string, string]>([
    ['gcp', 'projects/p/roles/deployer', 'a custom role'],
    ['gcp', 'organizations/123/roles/auditor', 'a custom role'],
    ['azure', CUSTOM_ID, 'a role definition Keyless does not know'],
    ['azure', customById, 'a role definition Keyless does not know'],
  ])('%s refuses %s by default, naming how to allow that very role', (cloud, name, noun) => {
    const resource = cloud === 'gcp' ? PROJECT : `${SUB}/resourceGroups/shop`;
    const result = refusal(cloud, undefined, [
      role(resource, name, cloud === 'gcp' ? 'projects/p' : resource),
    ]);
    expect(result?.reason).toBe('EscalationRefused');
    expect(result?.problems).toEqual([
      `grant 0 (${resource}): role ${name} is ${noun}, refused by default: Keyless cannot see what it grants, ` +
        `and it ${cloud === 'gcp' ? "can hold any permission, the project's setIamPolicy included" : 'can be a custom role holding any action, Microsoft.Authorization/roleAssignments/write included'}; ` +
        `guardrails.allowEscalation: ["${name}"] allows this role in this account`,
    ]);
  });

  it('are allowed one by one, by the exact role (Azure: its GUID, in any spelling)', () => {
    const custom = role(PROJECT, 'projects/p/roles/deployer', 'projects/p');
    expect(refusal('gcp', { allowEscalation: ['projects/p/roles/deployer'] }, [custom])).toBeUndefined();
    expect(refusal('gcp', { allowEscalation: ['projects/p/roles/other'] }, [custom])?.reason).toBe(
      'EscalationRefused',
    );
    expect(refusal('gcp', { allowEscalation: ['projects/p/roles/*'] }, [custom])?.problems).toEqual([
      expect.stringContaining('is a custom role, refused by default'),
      "guardrails.allowEscalation names projects/p/roles/*, which is not a built-in rule for gcp (see the README's table of them)",
    ]);
    const unknown = role(`${SUB}/resourceGroups/shop`, CUSTOM_ID);
    expect(refusal('azure', { allowEscalation: [customById.toUpperCase()] }, [unknown])).toBeUndefined();
    expect(
      refusal('azure', { allowEscalation: [CUSTOM_ID] }, [role(`${SUB}/resourceGroups/shop`, customById)]),
    ).toBeUndefined();
  });

  it("give way to the account's own deniedRoles, and count as admin for maxAccess", () => {
    const custom = role(PROJECT, 'projects/p/roles/deployer', 'projects/p');
    expect(refusal('gcp', { deniedRoles: ['projects/*/roles/*'] }, [custom])).toEqual({
      reason: 'GuardrailViolation',
      problems: [
        `grant 0 (${PROJECT}): role projects/p/roles/deployer is denied by the account's deniedRoles entry projects/*/roles/*`,
      ],
    });
    expect(refusal('gcp', { maxAccess: 'write' }, [custom])?.problems).toEqual([
      expect.stringContaining('amounts to admin'),
      expect.stringContaining('is a custom role, refused by default'),
    ]);
  });

  it('leave the built-in roles Keyless knows by id alone', () => {
    const reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
    expect(refusal('azure', undefined, [role(`${SUB}/resourceGroups/shop`, reader)])).toBeUndefined();
    expect(refusal('gcp', undefined, [role(PROJECT, 'roles/viewer', 'projects/p')])).toBeUndefined();
  });
});

/** AWS actions over a small alphabet: services s and t, action names of a, b and wildcards. */
const actionPattern = fc.oneof(
  { weight: 1, arbitrary: fc.constant('*') },
  {
    weight: 9,
    arbitrary: fc
      .tuple(
        fc.constantFrom('s', 't'),
        fc.array(fc.constantFrom('a', 'b', 'B', '*', '?'), { minLength: 1, maxLength: 3 }),
      )
      .map(([service, name]) => `${service}:${name.join('')}`),
  },
);

/** Some concrete action (SERVICE:NAME, in any case) matches both patterns, found by brute force. */
function someActionMatchesBoth(a: string, b: string): boolean {
  const syntax = { caseInsensitive: true, singleCharacter: true };
  const [ra, rb] = [referenceRegex(a, syntax), referenceRegex(b, syntax)];
  // A shortest common name reads each character with a non-star token of one of the two names.
  const nameOf = (p: string) => p.split(':')[1] ?? p;
  const bound = Math.max(nonStars(nameOf(a)) + nonStars(nameOf(b)), 1);
  for (const service of ['s', 't', 'u']) {
    for (const name of stringsUpTo(['a', 'b', 'c'], bound)) {
      const action = `${service}:${name}`;
      if (name.length > 0 && ra.test(action) && rb.test(action)) return true;
    }
  }
  return false;
}

describe('properties', () => {
  it('a grant is refused by deniedActions exactly when some concrete action matches both', () => {
    fc.assert(
      fc.property(actionPattern, actionPattern, (granted, denied) => {
        const result = refusal('aws', { deniedActions: [denied], allowEscalation: allLifted('aws') }, [
          actions('arn:aws:s3:::b', granted),
        ]);
        expect(result !== undefined).toBe(someActionMatchesBoth(granted, denied));
      }),
      { numRuns: 300 },
    );
  });

  it('every built-in AWS rule is refused however the grant disguises it (case, * and ? in its name)', () => {
    const awsRules = ESCALATION_RULES.filter((r) => r.cloud === 'aws' && r.refuses !== '*');
    fc.assert(
      fc.property(
        fc.constantFrom(...awsRules),
        fc.array(fc.constantFrom('keep', 'flip', 'star', 'one'), { minLength: 40, maxLength: 40 }),
        (rule, edits) => {
          const disguised = [...rule.refuses]
            .map((c, i) => {
              if (c === ':' || c === '*') return c;
              const edit = edits[i % edits.length];
              if (edit === 'flip') return c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
              if (edit === 'star') return '*';
              if (edit === 'one') return '?';
              return c;
            })
            .join('');
          const result = refusal('aws', undefined, [actions('*', disguised)]);
          expect(result?.reason).toBe('EscalationRefused');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('every built-in Azure rule is refused in any case (a rule on an action: each role that carries it)', () => {
    const azureRoles = ESCALATION_RULES.filter((r) => r.cloud === 'azure').flatMap((r) =>
      (r.carriedBy ?? [r.refuses]).map((name) => ({ name, scope: r.carriedBy ? IDENTITIES : SUB })),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...azureRoles),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        ({ name, scope }, flips) => {
          const spelled = [...name].map((c, i) => (flips[i] ? c.toUpperCase() : c.toLowerCase())).join('');
          expect(refusal('azure', undefined, [role(scope, spelled)])?.reason).toBe('EscalationRefused');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a resource passes allowedResources exactly when every concrete resource it matches is allowed', () => {
    const name = fc.array(fc.constantFrom('a', 'b', '*', '?'), { maxLength: 4 }).map((c) => c.join(''));
    const syntax = { singleCharacter: true };
    fc.assert(
      fc.property(name, name, (granted, allowed) => {
        const result = refusal('aws', { allowedResources: [`arn:aws:s3:::${allowed}`] }, [
          actions(`arn:aws:s3:::${granted}`, 's3:GetObject'),
        ]);
        // Both share the prefix, so the names decide; a shortest escape is at most one longer than
        // their non-star tokens (see patterns.test.ts).
        const [rg, ra] = [referenceRegex(granted, syntax), referenceRegex(allowed, syntax)];
        let escapes = false;
        for (const concrete of stringsUpTo(['a', 'b', 'c'], nonStars(granted) + nonStars(allowed) + 1)) {
          if (rg.test(concrete) && !ra.test(concrete)) {
            escapes = true;
            break;
          }
        }
        expect(result !== undefined).toBe(escapes);
      }),
      { numRuns: 400 },
    );
  });
});

/** One way to write a scope otherwise: what ARM reads stays the same, or climbs back to it. */
type Respelling = { kind: (typeof RESPELLINGS)[number]; at: number };
const RESPELLINGS = [
  'case',
  'dot',
  'climb',
  'double-slash',
  'trailing-slash',
  'percent',
  'backslash',
  'query',
  'hash',
  'tab',
] as const;

function respell(scope: string, edits: readonly Respelling[]): string {
  let text = scope;
  for (const { kind, at } of edits) {
    const slashes = [...text.matchAll(/\//g)].map((m) => m.index);
    const slash = slashes[Math.floor(at * slashes.length)] ?? 0;
    const char = Math.floor(at * text.length);
    const insert = (piece: string, where = slash) => text.slice(0, where) + piece + text.slice(where);
    const c = text[char] ?? '';
    switch (kind) {
      case 'case':
        text =
          text.slice(0, char) +
          (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) +
          text.slice(char + 1);
        break;
      case 'dot':
        text = insert('/.');
        break;
      case 'climb':
        text = insert('/x/..', slash > 0 ? slash : text.length);
        break;
      case 'double-slash':
        text = insert('/');
        break;
      case 'trailing-slash':
        text = `${text}/`;
        break;
      case 'percent':
        text = `${text.slice(0, char)}%${c.charCodeAt(0).toString(16).padStart(2, '0')}${text.slice(char + 1)}`;
        break;
      case 'backslash':
        text = `${text.slice(0, slash)}\\${text.slice(slash + 1)}`;
        break;
      case 'query':
        text = insert('?x');
        break;
      case 'hash':
        text = insert('#x');
        break;
      case 'tab':
        text = insert('\t', char);
        break;
    }
  }
  return text;
}

const respellings = fc.array(
  fc.record({ kind: fc.constantFrom(...RESPELLINGS), at: fc.double({ min: 0, max: 0.999, noNaN: true }) }),
  { minLength: 1, maxLength: 4 },
);

/** What ARM reads reaches the account's managed identities: independent of src/policy's parser. */
function reachesIdentities(reading: string): boolean {
  const sub = SUB.toLowerCase();
  return (
    reading === sub ||
    reading === IDENTITIES.toLowerCase() ||
    reading.includes('/providers/microsoft.managedidentity/') ||
    !reading.startsWith(`${sub}/`)
  );
}

describe('properties of scopes in other spellings', () => {
  const refusedScopes = [
    { role: 'Contributor', scope: SUB },
    { role: 'Contributor', scope: IDENTITIES },
    {
      role: 'Contributor',
      scope: `${SUB}/resourceGroups/shop/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app`,
    },
    { role: 'Owner', scope: `${SUB}/resourceGroups/shop` },
    {
      role: 'User Access Administrator',
      scope: `${SUB}/resourceGroups/shop/providers/Microsoft.Web/sites/a`,
    },
  ];

  it('no scope a rule refuses passes in another spelling; in other letters it is still an escalation', () => {
    fc.assert(
      fc.property(fc.constantFrom(...refusedScopes), respellings, ({ role: name, scope }, edits) => {
        const spelled = respell(scope, edits);
        const result = refusal('azure', undefined, [role(spelled, name)]);
        expect(result?.reason).toMatch(/^(EscalationRefused|InvalidGrant)$/);
        if (spelled.toLowerCase() === scope.toLowerCase()) expect(result?.reason).toBe('EscalationRefused');
      }),
      { numRuns: 1000 },
    );
  });

  it('Contributor passes only where ARM reads the scope as written, away from the managed identities', () => {
    const start = fc.constantFrom(
      `${SUB}/resourceGroups/shop`,
      `${SUB}/resourceGroups/shop/providers/Microsoft.Storage/storageAccounts/sa`,
      `${SUB}/resourceGroups/shop/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default`,
    );
    const tail = fc.array(
      fc.constantFrom(
        '..',
        '.',
        '%2e%2e',
        'x',
        'resourceGroups',
        'identities',
        'providers',
        'Microsoft.ManagedIdentity',
        'y',
      ),
      { maxLength: 6 },
    );
    let passed = 0;
    fc.assert(
      fc.property(start, tail, fc.option(respellings, { nil: undefined, freq: 2 }), (base, pieces, edits) => {
        const scope = respell([base, ...pieces].join('/'), edits ?? []);
        if (refusal('azure', undefined, [role(scope, 'Contributor')])) return;
        passed += 1;
        const reading = armReading(scope);
        expect(reading).toBe(scope.toLowerCase());
        expect(reachesIdentities(reading)).toBe(false);
      }),
      { numRuns: 2000 },
    );
    expect(passed).toBeGreaterThan(40);
  });

  it('a scope passes allowedResources only when what ARM reads lies inside the allowed pattern', () => {
    const allowed = `${SUB}/resourceGroups/shop*`;
    const inside = referenceRegex(allowed, { caseInsensitive: true });
    const start = fc.constantFrom(
      `${SUB}/resourceGroups/shop`,
      `${SUB}/resourceGroups/shop-x/providers/A.B/t/n`,
    );
    const tail = fc.array(fc.constantFrom('..', '.', 'resourceGroups', 'finance', 'providers', 'A.B'), {
      maxLength: 5,
    });
    fc.assert(
      fc.property(start, tail, fc.option(respellings, { nil: undefined }), (base, pieces, edits) => {
        const scope = respell([base, ...pieces].join('/'), edits ?? []);
        if (refusal('azure', { allowedResources: [allowed] }, [role(scope, 'Reader')])) return;
        expect(inside.test(armReading(scope))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

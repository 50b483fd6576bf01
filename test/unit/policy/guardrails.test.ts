import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CloudAccountSpec, ProviderName } from '../../../src/api/index.js';
import { ESCALATION_RULES } from '../../../src/policy/escalation-rules.js';
import { globMatch } from '../../../src/policy/glob.js';
import { guardrailRefusal, namespaceAllowed } from '../../../src/policy/guardrails.js';
import type { ResolvedGrant } from '../../../src/providers/provider.js';
import { nonStars, referenceRegex, stringsUpTo } from '../../support/glob-reference.js';

type Guardrails = NonNullable<CloudAccountSpec['guardrails']>;

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000001';
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

const refusal = (
  provider: ProviderName,
  guardrails: Guardrails | undefined,
  grants: ResolvedGrant[],
  lifetimeMs?: number,
) => guardrailRefusal({ provider, ...(guardrails ? { guardrails } : {}) }, grants, { lifetimeMs });

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
    if (result) expect(result.escalation).toBe(false);
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
    expect(result?.escalation ?? false).toBe(refused.length > 0);
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
        '["Contributor"] allows it in this account',
    ]);
  });

  it('hold when the account sets its own denied lists', () => {
    const result = refusal('aws', { deniedActions: ['s3:DeleteBucket'] }, [actions('*', 'iam:PassRole')]);
    expect(result).toMatchObject({ escalation: true });
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
      escalation: true,
    });
    expect(refusal('azure', { allowEscalation: ['owner'] }, [role(SUB, 'Owner')])).toBeUndefined();
  });

  it("reports the account's own rule, not the built-in one, when both refuse a permission", () => {
    const result = refusal('aws', { deniedActions: ['iam:*'] }, [actions('*', 'iam:PassRole')]);
    expect(result).toEqual({
      escalation: false,
      problems: ["grant 0 (*): action iam:PassRole is denied by the account's deniedActions entry iam:*"],
    });
    const mixed = refusal('aws', { deniedActions: ['iam:*'] }, [
      actions('*', 'iam:PassRole', 'kms:PutKeyPolicy'),
    ]);
    expect(mixed?.escalation).toBe(true);
    expect(mixed?.problems).toEqual([
      "grant 0 (*): action iam:PassRole is denied by the account's deniedActions entry iam:*",
      expect.stringContaining('action kms:PutKeyPolicy is refused by default'),
    ]);
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
          expect(result?.escalation).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('every built-in Azure rule is refused in any case', () => {
    const azureRules = ESCALATION_RULES.filter((r) => r.cloud === 'azure');
    fc.assert(
      fc.property(
        fc.constantFrom(...azureRules),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        (rule, flips) => {
          const spelled = [...rule.refuses]
            .map((c, i) => (flips[i] ? c.toUpperCase() : c.toLowerCase()))
            .join('');
          expect(refusal('azure', undefined, [role(SUB, spelled)])?.escalation).toBe(true);
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

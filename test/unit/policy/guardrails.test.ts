import { describe, expect, it } from 'vitest';
import { globMatch } from '../../../src/policy/glob.js';
import { guardrailViolations, namespaceAllowed } from '../../../src/policy/guardrails.js';
import type { ResolvedGrant } from '../../../src/providers/provider.js';

const read = (resource: string): ResolvedGrant => ({
  resource,
  access: 'read',
  permissions: ['s3:GetObject'],
  permissionKind: 'action',
  scopes: [resource],
});

describe('globMatch', () => {
  it.each([
    ['team-*', 'team-a', true],
    ['team-*', 'team-', true],
    ['team-*', 'teams', false],
    ['*', 'anything', true],
    ['s3:*', 's3:GetObject', true],
    ['arn:aws:s3:::logs-*', 'arn:aws:s3:::logs-2026', true],
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

describe('guardrailViolations', () => {
  it.each<{
    name: string;
    guardrails: object;
    grants: ResolvedGrant[];
    lifetimeMs?: number;
    expected: string[];
  }>([
    { name: 'no guardrails', guardrails: {}, grants: [read('arn:aws:s3:::a')], expected: [] },
    {
      name: 'resource outside allowedResources',
      guardrails: { allowedResources: ['arn:aws:s3:::shop-*'] },
      grants: [read('arn:aws:s3:::shop-1'), read('arn:aws:s3:::finance')],
      expected: ["grant 1 (arn:aws:s3:::finance): resource is not in the account's allowedResources"],
    },
    {
      name: 'access above maxAccess',
      guardrails: { maxAccess: 'write' },
      grants: [{ ...read('r'), access: 'admin' }],
      expected: ["grant 0 (r): access admin exceeds the account's maxAccess write"],
    },
    {
      name: 'denied action in a raw grant',
      guardrails: { deniedActions: ['iam:*'] },
      grants: [
        {
          resource: '*',
          access: undefined,
          permissions: ['iam:PassRole', 's3:GetObject'],
          permissionKind: 'action',
          scopes: ['*'],
        },
      ],
      expected: ['grant 0 (*): actions iam:PassRole denied by the account'],
    },
    {
      name: 'denied role',
      guardrails: { deniedRoles: ['roles/owner'], deniedActions: ['roles/owner'] },
      grants: [
        {
          resource: 'p',
          access: undefined,
          permissions: ['roles/owner'],
          permissionKind: 'role',
          scopes: ['p'],
        },
      ],
      expected: ['grant 0 (p): role roles/owner denied by the account'],
    },
    {
      name: 'permanent grant where only temporary ones are allowed',
      guardrails: { maxGrantDuration: '8h' },
      grants: [read('r')],
      expected: ['grants must be temporary: the account allows at most 8h; set expiresAt or duration'],
    },
    {
      name: 'temporary grant longer than allowed',
      guardrails: { maxGrantDuration: '8h' },
      grants: [read('r')],
      lifetimeMs: 9 * 3_600_000,
      expected: ["grants last longer than the account's maxGrantDuration 8h"],
    },
    {
      name: 'temporary grant within the limit',
      guardrails: { maxGrantDuration: '8h' },
      grants: [read('r')],
      lifetimeMs: 8 * 3_600_000,
      expected: [],
    },
  ])('$name', ({ guardrails, grants, lifetimeMs, expected }) => {
    expect(guardrailViolations(guardrails, grants, { lifetimeMs })).toEqual(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { inlinePolicyName, roleName } from '../../../src/providers/aws/mapping.js';
import { ownerTags } from '../../../src/providers/shared/ownership.js';
import { auditIam, type IamRole } from '../../support/iam-inventory.js';

const CLUSTER = 'c1';
const ACCOUNT = {
  accountId: '123456789012',
  region: 'us-east-1',
  oidcProvider: { issuerUrl: 'https://issuer.example' },
};
const owner = (namespace: string, name: string) => ({ cluster: CLUSTER, namespace, name, uid: 'u' });
const policyOf = (namespace: string, binding: string) => inlinePolicyName(owner(namespace, binding));

/** The role Keyless makes for identity ns/name, holding the given bindings' inline policies. */
function role(
  namespace: string,
  name: string,
  bindings: string[],
  overrides: Partial<IamRole> = {},
): IamRole {
  const roleNameOf = roleName(owner(namespace, name), ACCOUNT);
  return {
    name: roleNameOf,
    arn: `arn:aws:iam::123456789012:role/keyless/${roleNameOf}`,
    path: '/keyless/',
    tags: ownerTags(owner(namespace, name)),
    inlinePolicies: bindings.map((b) => policyOf(namespace, b)),
    ...overrides,
  };
}

const expected = [
  { namespace: 'a', name: 'one', bindings: ['one-read'] },
  { namespace: 'b', name: 'two', bindings: ['two-read', 'two-write'] },
];

describe('auditIam', () => {
  it('finds nothing wrong when each identity has its own role with its bindings’ policies', () => {
    const audit = auditIam(
      [role('a', 'one', ['one-read']), role('b', 'two', ['two-read', 'two-write'])],
      expected,
      CLUSTER,
      ACCOUNT,
    );
    expect(audit).toEqual({
      roles: 2,
      inlinePolicies: 3,
      duplicateRoles: [],
      orphanRoles: [],
      orphanPolicies: [],
      missingRoles: [],
      missingPolicies: [],
    });
  });

  it('counts a second role with the same owner tags as a duplicate, with its policies as orphans', () => {
    const second = role('a', 'one', ['one-read'], { name: 'keyless-a-one-other' });
    const audit = auditIam(
      [role('a', 'one', ['one-read']), second, role('b', 'two', ['two-read', 'two-write'])],
      expected,
      CLUSTER,
      ACCOUNT,
    );
    expect(audit.duplicateRoles).toEqual(['keyless-a-one-other']);
    expect(audit.orphanPolicies).toEqual([`keyless-a-one-other/${policyOf('a', 'one-read')}`]);
    expect(audit.orphanRoles).toEqual([]);
  });

  it('calls a role an orphan without owner tags, for another cluster, or for an identity that is gone', () => {
    const untagged = role('a', 'one', [], { name: 'untagged', tags: {} });
    const otherCluster = role('a', 'one', [], {
      name: 'other-cluster',
      tags: { ...ownerTags(owner('a', 'one')), 'keyless.dev/cluster': 'c2' },
    });
    const gone = role('a', 'gone', ['gone-read']);
    const audit = auditIam(
      [
        role('a', 'one', ['one-read']),
        role('b', 'two', ['two-read', 'two-write']),
        untagged,
        otherCluster,
        gone,
      ],
      expected,
      CLUSTER,
      ACCOUNT,
    );
    expect(audit.orphanRoles).toEqual(['untagged', 'other-cluster', gone.name]);
    expect(audit.orphanPolicies).toEqual([`${gone.name}/${policyOf('a', 'gone-read')}`]);
    expect(audit.duplicateRoles).toEqual([]);
  });

  it('reports an inline policy of no binding of the identity, and what is missing', () => {
    const audit = auditIam(
      [role('a', 'one', ['one-read', 'deleted-binding']), role('b', 'two', ['two-read'])],
      [...expected, { namespace: 'a', name: 'three', bindings: [] }],
      CLUSTER,
      ACCOUNT,
    );
    const oneRole = roleName(owner('a', 'one'), ACCOUNT);
    expect(audit.orphanPolicies).toEqual([`${oneRole}/${policyOf('a', 'deleted-binding')}`]);
    expect(audit.missingPolicies).toEqual(['b/two-write']);
    expect(audit.missingRoles).toEqual(['a/three']);
  });

  it('after a deletion expects nothing: any role left is an orphan', () => {
    const audit = auditIam([role('a', 'one', ['one-read'])], [], CLUSTER, ACCOUNT);
    expect(audit).toMatchObject({
      roles: 1,
      inlinePolicies: 1,
      orphanRoles: [roleName(owner('a', 'one'), ACCOUNT)],
    });
  });
});

/**
 * What an AWS account (moto) holds in IAM roles and inline policies, read directly (not through
 * Keyless), and how it compares with the Kubernetes objects that should own it: duplicates,
 * orphans and what is missing.
 */
import {
  type IAMClient,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  type Role,
} from '@aws-sdk/client-iam';
import { type AwsAccount, inlinePolicyName, roleName } from '../../src/providers/aws/mapping.js';
import { OWNER_TAGS } from '../../src/providers/shared/ownership.js';

export interface IamRole {
  name: string;
  arn: string;
  path: string;
  tags: Record<string, string>;
  inlinePolicies: string[];
}

/** Every role in the account (any path), with its tags and inline policy names. */
export async function iamInventory(iam: IAMClient): Promise<IamRole[]> {
  const roles: Role[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListRolesCommand({ ...(marker ? { Marker: marker } : {}) }));
    roles.push(...(page.Roles ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  // A few roles at a time: the SDK's default agent holds 50 sockets and warns beyond them.
  const inventory: IamRole[] = [];
  for (let i = 0; i < roles.length; i += 10) {
    inventory.push(
      ...(await Promise.all(
        roles.slice(i, i + 10).map(async (role) => {
          const name = role.RoleName ?? '';
          const [tags, inlinePolicies] = await Promise.all([roleTags(iam, name), rolePolicies(iam, name)]);
          return { name, arn: role.Arn ?? '', path: role.Path ?? '/', tags, inlinePolicies };
        }),
      )),
    );
  }
  return inventory;
}

async function roleTags(iam: IAMClient, role: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  let marker: string | undefined;
  do {
    const page = await iam.send(
      new ListRoleTagsCommand({ RoleName: role, ...(marker ? { Marker: marker } : {}) }),
    );
    for (const tag of page.Tags ?? []) tags[tag.Key ?? ''] = tag.Value ?? '';
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return tags;
}

async function rolePolicies(iam: IAMClient, role: string): Promise<string[]> {
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(
      new ListRolePoliciesCommand({ RoleName: role, ...(marker ? { Marker: marker } : {}) }),
    );
    names.push(...(page.PolicyNames ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return names;
}

/** The Kubernetes side: each WorkloadIdentity that should have a role, with its bindings' names. */
export interface ExpectedIdentity {
  namespace: string;
  name: string;
  bindings: string[];
}

export interface IamAudit {
  roles: number;
  inlinePolicies: number;
  /** Roles beyond the first for one WorkloadIdentity (by owner tags or by name). */
  duplicateRoles: string[];
  /** Roles no expected WorkloadIdentity owns (no ownership tags, another owner, a name not its own). */
  orphanRoles: string[];
  /** `role/policy` for inline policies no expected IdentityBinding of the role's identity owns. */
  orphanPolicies: string[];
  /** `namespace/name` of expected identities without a role. */
  missingRoles: string[];
  /** `namespace/binding` of expected bindings without their inline policy. */
  missingPolicies: string[];
}

/**
 * Compares the account with what `cluster` should own there. Every role counts, whatever its path:
 * the account is the test's own, so anything not owned by an expected identity is an orphan.
 */
export function auditIam(
  roles: readonly IamRole[],
  expected: readonly ExpectedIdentity[],
  cluster: string,
  account: AwsAccount,
): IamAudit {
  const key = (namespace: string, name: string) => `${namespace}/${name}`;
  const wanted = new Map(expected.map((identity) => [key(identity.namespace, identity.name), identity]));
  const rolesOf = new Map<string, IamRole[]>();
  const orphanRoles: string[] = [];
  for (const role of roles) {
    const namespace = role.tags[OWNER_TAGS.namespace];
    const name = role.tags[OWNER_TAGS.name];
    const ownerKey = namespace !== undefined && name !== undefined ? key(namespace, name) : undefined;
    const identity = ownerKey ? wanted.get(ownerKey) : undefined;
    if (!ownerKey || !identity || role.tags[OWNER_TAGS.cluster] !== cluster) {
      orphanRoles.push(role.name);
      continue;
    }
    rolesOf.set(ownerKey, [...(rolesOf.get(ownerKey) ?? []), role]);
  }

  const duplicateRoles: string[] = [];
  const orphanPolicies: string[] = [];
  const missingRoles: string[] = [];
  const missingPolicies: string[] = [];
  for (const identity of expected) {
    const owner = { cluster, namespace: identity.namespace, name: identity.name };
    const ownName = roleName({ ...owner, uid: '' }, account);
    const found = rolesOf.get(key(identity.namespace, identity.name)) ?? [];
    const own = found.find((role) => role.name === ownName);
    duplicateRoles.push(...found.filter((role) => role !== own).map((role) => role.name));
    if (!own) {
      missingRoles.push(key(identity.namespace, identity.name));
      continue;
    }
    const policyOf = new Map(
      identity.bindings.map((binding) => [
        inlinePolicyName({ cluster, namespace: identity.namespace, name: binding, uid: '' }),
        binding,
      ]),
    );
    for (const policy of own.inlinePolicies) {
      if (!policyOf.has(policy)) orphanPolicies.push(`${own.name}/${policy}`);
    }
    for (const [policy, binding] of policyOf) {
      if (!own.inlinePolicies.includes(policy)) missingPolicies.push(key(identity.namespace, binding));
    }
  }
  // The inline policies of orphan and duplicate roles are orphans too.
  for (const role of roles) {
    if (orphanRoles.includes(role.name) || duplicateRoles.includes(role.name)) {
      orphanPolicies.push(...role.inlinePolicies.map((policy) => `${role.name}/${policy}`));
    }
  }
  return {
    roles: roles.length,
    inlinePolicies: roles.reduce((sum, role) => sum + role.inlinePolicies.length, 0),
    duplicateRoles,
    orphanRoles,
    orphanPolicies,
    missingRoles,
    missingPolicies,
  };
}

import type { Grant } from '../../api/index.js';
import { Reason } from '../../api/reasons.js';
import type { Subject } from '../../api/workload-identity.js';
import { parseDuration } from '../../policy/duration.js';
import { terminal } from '../cloud-error.js';
import type { AccountRequest, GrantRequest, IdentityRequest, ResolvedGrant } from '../provider.js';
import { ownerTags } from '../shared/ownership.js';

const ACCESS_PERMISSIONS = {
  read: ['read'],
  write: ['read', 'write'],
  admin: ['admin', 'read', 'write'],
} as const;

export interface MemoryIdentityDocument {
  tags: Record<string, string>;
  trust: string[];
  maxSessionSeconds: number;
}

export function trustEntry(namespace: string, subject: Subject): string {
  if (subject.serviceAccount) return `serviceAccount:${namespace}/${subject.serviceAccount.name}`;
  return `serverless:${subject.serverless?.platform ?? 'unknown'}`;
}

export function identityDocument(request: IdentityRequest): MemoryIdentityDocument {
  return {
    tags: { ...(request.spec.tags ?? {}), ...ownerTags(request.owner) },
    trust: [...new Set(request.spec.subjects.map((s) => trustEntry(request.owner.namespace, s)))].sort(),
    maxSessionSeconds: parseDuration(request.spec.maxSessionDuration ?? '1h') / 1000,
  };
}

export function resolveGrants(grants: Grant[], _account: AccountRequest): ResolvedGrant[] {
  return grants.map((grant, index) => {
    const base = { resource: grant.resource, scopes: [grant.resource] };
    if (grant.access) {
      return {
        ...base,
        access: grant.access,
        permissions: [...ACCESS_PERMISSIONS[grant.access]],
        permissionKind: 'action',
      };
    }
    if (grant.actions) {
      return { ...base, access: undefined, permissions: [...grant.actions].sort(), permissionKind: 'action' };
    }
    if (grant.role) return { ...base, access: undefined, permissions: [grant.role], permissionKind: 'role' };
    throw terminal(
      Reason.InvalidGrant,
      `grant ${index} (${grant.resource}) names no access, actions or role`,
    );
  });
}

/** resource -> sorted permissions; grants on one resource are merged. */
export function grantDocument(request: GrantRequest): Record<string, string[]> {
  const byResource: Record<string, Set<string>> = {};
  for (const grant of request.grants) {
    const set = byResource[grant.resource] ?? new Set<string>();
    for (const p of grant.permissions) set.add(p);
    byResource[grant.resource] = set;
  }
  return Object.fromEntries(
    Object.keys(byResource)
      .sort()
      .map((r) => [r, [...(byResource[r] ?? [])].sort()]),
  );
}

import type { Grant } from '../../api/index.js';
import { Reason } from '../../api/reasons.js';
import type { Subject } from '../../api/workload-identity.js';
import { parseDuration } from '../../policy/duration.js';
import { terminal } from '../../runtime/errors.js';
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

/** Like AWS's roles: sessions last from 1h to 12h. */
const SESSION_SECONDS = { min: 3600, max: 43_200 };

export function identityDocument(request: IdentityRequest): MemoryIdentityDocument {
  const maxSessionSeconds = parseDuration(request.spec.maxSessionDuration ?? '1h') / 1000;
  if (maxSessionSeconds < SESSION_SECONDS.min || maxSessionSeconds > SESSION_SECONDS.max) {
    throw terminal(
      'InvalidSpec',
      `maxSessionDuration ${request.spec.maxSessionDuration} is outside what the in-memory cloud allows (1h to 12h)`,
    );
  }
  return {
    tags: { ...(request.spec.tags ?? {}), ...ownerTags(request.owner) },
    trust: [...new Set(request.spec.subjects.map((s) => trustEntry(request.owner.namespace, s)))].sort(),
    maxSessionSeconds,
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

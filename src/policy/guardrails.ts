import { ACCESS_LEVELS, type AccessLevel, type CloudAccountSpec } from '../api/index.js';
import type { ResolvedGrant } from '../providers/provider.js';
import { parseDuration } from './duration.js';
import { matchesAny } from './glob.js';

type Guardrails = NonNullable<CloudAccountSpec['guardrails']>;

export function namespaceAllowed(guardrails: Guardrails | undefined, namespace: string): boolean {
  const allowed = guardrails?.allowedNamespaces;
  return !allowed || allowed.length === 0 || matchesAny(allowed, namespace);
}

export interface GrantTiming {
  /** How long the grants last from now on; undefined for a permanent grant. */
  lifetimeMs: number | undefined;
}

/** Every way the grants break the account's guardrails, one line per problem, naming the grant. */
export function guardrailViolations(
  guardrails: Guardrails | undefined,
  grants: ResolvedGrant[],
  timing: GrantTiming,
): string[] {
  if (!guardrails) return [];
  const problems: string[] = [];
  grants.forEach((grant, index) => {
    const name = `grant ${index} (${grant.resource})`;
    const allowedResources = guardrails.allowedResources ?? [];
    if (allowedResources.length > 0 && !matchesAny(allowedResources, grant.resource)) {
      problems.push(`${name}: resource is not in the account's allowedResources`);
    }
    if (grant.access && guardrails.maxAccess && rank(grant.access) > rank(guardrails.maxAccess)) {
      problems.push(
        `${name}: access ${grant.access} exceeds the account's maxAccess ${guardrails.maxAccess}`,
      );
    }
    const deniedList = grant.permissionKind === 'action' ? guardrails.deniedActions : guardrails.deniedRoles;
    const denied = grant.permissions.filter((p) => matchesAny(deniedList ?? [], p));
    if (denied.length > 0) {
      problems.push(
        `${name}: ${grant.permissionKind === 'action' ? 'actions' : 'role'} ${denied.join(', ')} denied by the account`,
      );
    }
  });
  if (guardrails.maxGrantDuration) {
    const max = parseDuration(guardrails.maxGrantDuration);
    if (timing.lifetimeMs === undefined) {
      problems.push(
        `grants must be temporary: the account allows at most ${guardrails.maxGrantDuration}; set expiresAt or duration`,
      );
    } else if (timing.lifetimeMs > max) {
      problems.push(`grants last longer than the account's maxGrantDuration ${guardrails.maxGrantDuration}`);
    }
  }
  return problems;
}

function rank(level: AccessLevel): number {
  return ACCESS_LEVELS.indexOf(level);
}

import type { CloudAccountSpec, ProviderName } from '../api/index.js';
import { Reason } from '../api/reasons.js';
import type { ResolvedGrant } from '../providers/provider.js';
import { exceeds, grantLevel } from './access-levels.js';
import { CLOUD_COMPARISON } from './cloud-comparison.js';
import { parseDuration } from './duration.js';
import {
  escalationsIn,
  type IdentityHome,
  isRuleNamed,
  opaqueRolesIn,
  rulesInForce,
  unknownAllowances,
} from './escalation.js';
import { type EscalationRule, type OpaqueRoleRule, SCOPE_WORDS } from './escalation-rules.js';
import { matchesAny } from './glob.js';
import { contains } from './patterns.js';

type Guardrails = NonNullable<CloudAccountSpec['guardrails']>;

export function namespaceAllowed(guardrails: Guardrails | undefined, namespace: string): boolean {
  const allowed = guardrails?.allowedNamespaces;
  return !allowed || allowed.length === 0 || matchesAny(allowed, namespace);
}

/** What the check needs to know of the binding besides its grants. */
export interface BindingFacts {
  /** How long the grants last from now on; undefined for a permanent grant. */
  lifetimeMs: number | undefined;
  /** Azure: the resource group the binding's own identity sets (`spec.azure.resourceGroup`), if any. */
  identityResourceGroup?: string | undefined;
}

export interface GuardrailRefusal {
  /**
   * EscalationRefused when a built-in escalation rule refused a grant; InvalidGrant when a grant's
   * resource is not written the way the cloud reads it; GuardrailViolation when only the account's
   * own guardrails refused.
   */
  reason: typeof Reason.EscalationRefused | typeof Reason.InvalidGrant | typeof Reason.GuardrailViolation;
  /** One line per problem, naming the grant and the rule. */
  problems: string[];
}

/**
 * Every way the grants break the account's guardrails or Keyless's built-in escalation rules,
 * compared the way the account's cloud compares permissions; undefined when they break none.
 */
export function guardrailRefusal(
  account: Pick<CloudAccountSpec, 'provider' | 'guardrails' | 'azure'>,
  grants: readonly ResolvedGrant[],
  binding: BindingFacts,
): GuardrailRefusal | undefined {
  const cloud = account.provider;
  const guardrails: Guardrails = account.guardrails ?? {};
  const rules = rulesInForce(cloud, guardrails.allowEscalation);
  const home = identityHome(account, binding);
  const problems: string[] = [];
  let escalation = false;
  let unreadable = false;
  grants.forEach((grant, index) => {
    const name = `grant ${index} (${grant.resource})`;
    const unread = unreadIdentifier(cloud, grant);
    if (unread) {
      // What such a grant would reach is the cloud's guess, so nothing else is judged on it.
      unreadable = true;
      problems.push(`${name}: ${unread}`);
      return;
    }
    const outside = outsideAllowedResources(cloud, guardrails, grant);
    if (outside) problems.push(`${name}: ${outside}`);
    const tooMuch = overMaxAccess(cloud, guardrails, grant);
    if (tooMuch) problems.push(`${name}: ${tooMuch}`);
    const denied = deniedByAccount(cloud, guardrails, grant);
    problems.push(...denied.map(({ line }) => `${name}: ${line}`));
    const deniedPermissions = new Set(denied.map((d) => d.permission));
    for (const hit of escalationsIn(cloud, grant, rules, home)) {
      if (deniedPermissions.has(hit.permission)) continue;
      escalation = true;
      problems.push(`${name}: ${escalationLine(cloud, grant, hit.permission, hit.rules)}`);
    }
    for (const hit of opaqueRolesIn(cloud, grant, guardrails.allowEscalation)) {
      if (deniedPermissions.has(hit.permission)) continue;
      escalation = true;
      problems.push(`${name}: ${opaqueRoleLine(cloud, grant, hit.permission, hit.rule)}`);
    }
  });
  if (escalation) {
    for (const unknown of unknownAllowances(cloud, guardrails.allowEscalation)) {
      problems.push(
        `guardrails.allowEscalation names ${unknown}, which is not a built-in rule for ${cloud} (see the README's table of them)`,
      );
    }
  }
  problems.push(...durationProblems(guardrails, binding));
  if (problems.length === 0) return undefined;
  const reason = escalation
    ? Reason.EscalationRefused
    : unreadable
      ? Reason.InvalidGrant
      : Reason.GuardrailViolation;
  return { reason, problems };
}

/** Where the account's Azure managed identities live; undefined when the account does not say. */
function identityHome(
  account: Pick<CloudAccountSpec, 'azure'>,
  binding: BindingFacts,
): IdentityHome | undefined {
  const azure = account.azure;
  if (!azure) return undefined;
  const groups = [azure.resourceGroup, binding.identityResourceGroup ?? azure.resourceGroup];
  return {
    subscription: azure.subscriptionId.toLowerCase(),
    resourceGroups: [...new Set(groups.map((g) => g.toLowerCase()))],
  };
}

/** A grant whose resource or scope the cloud would not read as written, and why. */
function unreadIdentifier(cloud: ProviderName, grant: ResolvedGrant): string | undefined {
  const { identifierProblem, identifierNoun } = CLOUD_COMPARISON[cloud];
  const own = identifierProblem(grant.resource);
  if (own) return `the resource is not a canonical ${identifierNoun}: ${own}`;
  for (const scope of grant.scopes) {
    if (scope === grant.resource) continue;
    const problem = identifierProblem(scope);
    if (problem) return `its scope ${scope} is not a canonical ${identifierNoun}: ${problem}`;
  }
  return undefined;
}

/** A grant's resource must lie inside an allowed pattern: `*` lies inside none but `*`. */
function outsideAllowedResources(
  cloud: ProviderName,
  guardrails: Guardrails,
  grant: ResolvedGrant,
): string | undefined {
  const allowed = guardrails.allowedResources ?? [];
  const syntax = CLOUD_COMPARISON[cloud].resources;
  if (allowed.length === 0 || allowed.some((a) => contains(a, grant.resource, syntax).holds))
    return undefined;
  const wildcard = /[*?]/.test(grant.resource)
    ? ' (a pattern lies inside an allowed one only when everything it matches does)'
    : '';
  return `the resource is not inside the account's allowedResources ${allowed.join(', ')}${wildcard}`;
}

/** `maxAccess` holds for raw grants too: what their actions or role amount to. */
function overMaxAccess(
  cloud: ProviderName,
  guardrails: Guardrails,
  grant: ResolvedGrant,
): string | undefined {
  const max = guardrails.maxAccess;
  if (!max) return undefined;
  if (grant.access) {
    return exceeds(grant.access, max)
      ? `access ${grant.access} exceeds the account's maxAccess ${max}`
      : undefined;
  }
  const judged = grantLevel(cloud, grant.permissions);
  if (!judged || !exceeds(judged.level, max)) return undefined;
  const verb = grant.permissions.length === 1 ? 'amounts' : 'amount';
  return `${kindOf(grant)} ${grant.permissions.join(', ')} ${verb} to ${judged.level} (${judged.because}), over the account's maxAccess ${max}`;
}

/** The account's own deniedActions / deniedRoles: refused when the grant could allow a denied one. */
function deniedByAccount(
  cloud: ProviderName,
  guardrails: Guardrails,
  grant: ResolvedGrant,
): { permission: string; line: string }[] {
  const comparison = CLOUD_COMPARISON[cloud];
  const isAction = grant.permissionKind === 'action';
  const list = isAction ? 'deniedActions' : 'deniedRoles';
  const denied = (isAction ? guardrails.deniedActions : guardrails.deniedRoles) ?? [];
  if (denied.length === 0) return [];
  const compare = isAction ? comparison.actions : comparison.roles;
  const namesOf = (p: string) => (isAction ? [p] : comparison.roleNames(p).names);
  const found: { permission: string; line: string }[] = [];
  for (const permission of grant.permissions) {
    const granted = namesOf(permission);
    for (const entry of denied) {
      const entryNames = namesOf(entry);
      const any = (test: (e: string, n: string) => boolean) =>
        granted.some((n) => entryNames.some((e) => test(e, n)));
      if (any(compare.contains)) {
        const subject = describe(cloud, grant, permission);
        found.push({ permission, line: `${subject} is denied by the account's ${list} entry ${entry}` });
        break;
      }
      if (any(compare.overlap)) {
        const subject = describe(cloud, grant, permission);
        found.push({
          permission,
          line: `${subject} could allow what the account's ${list} entry ${entry} denies`,
        });
        break;
      }
    }
  }
  return found;
}

function escalationLine(
  cloud: ProviderName,
  grant: ResolvedGrant,
  permission: string,
  rules: readonly EscalationRule[],
): string {
  const [rule, ...more] = rules as [EscalationRule, ...EscalationRule[]];
  const where = SCOPE_WORDS[rule.scope ?? 'anywhere'];
  const at = where ? ` ${where}` : '';
  const same = CLOUD_COMPARISON[cloud].roleNames(permission).names.some((n) => isRuleNamed(cloud, n, rule));
  const subject = same
    ? `${describe(cloud, grant, permission)}${at} is`
    : `${describe(cloud, grant, permission)} could allow ${rule.refuses}${at},`;
  const others =
    more.length > 0 ? ` (and ${more.length} more built-in rule${more.length === 1 ? '' : 's'})` : '';
  return (
    `${subject} refused by default: it ${rule.why}; guardrails.allowEscalation: ["${rule.refuses}"] ` +
    `allows it in this account${others}`
  );
}

function opaqueRoleLine(
  cloud: ProviderName,
  grant: ResolvedGrant,
  permission: string,
  rule: OpaqueRoleRule,
): string {
  return (
    `${describe(cloud, grant, permission)} is ${rule.noun}, refused by default: Keyless cannot see what it ` +
    `grants, and it ${rule.why}; guardrails.allowEscalation: ["${permission}"] allows this role in this account`
  );
}

function kindOf(grant: ResolvedGrant): string {
  if (grant.permissionKind === 'role') return 'role';
  return grant.permissions.length === 1 ? 'action' : 'actions';
}

/** How a message names one permission of a grant: raw, or what its access level resolved to. */
function describe(cloud: ProviderName, grant: ResolvedGrant, permission: string): string {
  const noun = grant.permissionKind === 'role' ? 'role' : 'action';
  const [, alias] = CLOUD_COMPARISON[cloud].roleNames(permission).names;
  const named = `${noun} ${permission}${alias ? ` (${alias})` : ''}`;
  return grant.access ? `access ${grant.access} resolves to ${named}, which` : named;
}

function durationProblems(guardrails: Guardrails, timing: BindingFacts): string[] {
  if (!guardrails.maxGrantDuration) return [];
  const max = parseDuration(guardrails.maxGrantDuration);
  if (timing.lifetimeMs === undefined) {
    return [
      `grants must be temporary: the account allows at most ${guardrails.maxGrantDuration}; set expiresAt or duration`,
    ];
  }
  if (timing.lifetimeMs > max) {
    return [`grants last longer than the account's maxGrantDuration ${guardrails.maxGrantDuration}`];
  }
  return [];
}

import type { ProviderName } from '../api/index.js';
import type { ResolvedGrant } from '../providers/provider.js';
import { parseAzureResourceId } from './azure-resource-ids.js';
import { CLOUD_COMPARISON } from './cloud-comparison.js';
import {
  ESCALATION_RULES,
  type EscalationRule,
  OPAQUE_ROLE_RULES,
  type OpaqueRoleRule,
  type RuleScope,
} from './escalation-rules.js';
import { isProjectPolicy } from './gcp-resource-names.js';

/**
 * Whether an `allowEscalation` entry names a rule: the way the cloud compares such names (AWS
 * actions and Azure roles without case), but never as a pattern, so `iam:*` allows nothing: an
 * account opts out rule by rule.
 */
export function isRuleNamed(cloud: ProviderName, name: string, rule: EscalationRule): boolean {
  return ruleNames(cloud).same(name, rule.refuses);
}

/** AWS rules name actions; the other clouds' rules name roles. */
function ruleNames(cloud: ProviderName) {
  const comparison = CLOUD_COMPARISON[cloud];
  return cloud === 'aws' ? comparison.actions : comparison.roles;
}

/**
 * The built-in rules that hold in an account: every rule of its cloud, less those the account
 * names in `guardrails.allowEscalation`. The account's own denied lists never replace them.
 */
export function rulesInForce(cloud: ProviderName, allowEscalation: readonly string[] = []): EscalationRule[] {
  return ESCALATION_RULES.filter(
    (rule) => rule.cloud === cloud && !allowEscalation.some((allowed) => isRuleNamed(cloud, allowed, rule)),
  );
}

/**
 * Entries of `allowEscalation` that name no built-in rule of the account's cloud. An entry that
 * names a role Keyless cannot judge (a custom role) allows that role; a pattern names none.
 */
export function unknownAllowances(cloud: ProviderName, allowEscalation: readonly string[] = []): string[] {
  return allowEscalation.filter(
    (allowed) =>
      !ESCALATION_RULES.some((rule) => rule.cloud === cloud && isRuleNamed(cloud, allowed, rule)) &&
      !namesOpaqueRole(cloud, allowed),
  );
}

function namesOpaqueRole(cloud: ProviderName, entry: string): boolean {
  return !/[*?]/.test(entry) && OPAQUE_ROLE_RULES.some((rule) => rule.cloud === cloud && rule.covers(entry));
}

/**
 * Where an account's Azure managed identities live: its subscription and the resource groups that
 * hold them, lower-cased. Unknown (no `azure` block): every subscription and resource group counts.
 */
export interface IdentityHome {
  subscription: string;
  resourceGroups: readonly string[];
}

/** The scope reaches the managed identities: their resource group, its subscription, or an identity. */
function reachesIdentities(scope: string, home: IdentityHome | undefined): boolean {
  const read = parseAzureResourceId(scope);
  // A scope ARM cannot be trusted to read as written counts as reaching them.
  if (!read.id) return true;
  const { level, subscription, resourceGroup, namespaces } = read.id;
  if (namespaces.includes('microsoft.managedidentity')) return true;
  if (level === 'resource') return false;
  if (home && subscription !== home.subscription) return false;
  return level === 'subscription' || !home || home.resourceGroups.includes(resourceGroup ?? '');
}

function atSubscription(scope: string): boolean {
  const read = parseAzureResourceId(scope);
  return !read.id || read.id.level === 'subscription';
}

function inScope(
  scope: RuleScope | undefined,
  grant: ResolvedGrant,
  home: IdentityHome | undefined,
): boolean {
  switch (scope ?? 'anywhere') {
    case 'anywhere':
      return true;
    case 'wildcard-resource':
      return grant.scopes.some((s) => /[*?]/.test(s));
    case 'project':
      return grant.scopes.some(isProjectPolicy);
    case 'subscription':
      return grant.scopes.some(atSubscription);
    case 'managed-identities':
      return grant.scopes.some((s) => reachesIdentities(s, home));
  }
}

function permissionHits(cloud: ProviderName, rule: EscalationRule, permission: string): boolean {
  const compare = ruleNames(cloud);
  const refused = rule.carriedBy ?? [rule.refuses];
  return CLOUD_COMPARISON[cloud]
    .roleNames(permission)
    .names.some((name) =>
      refused.some((r) => (rule.match === 'contains' ? compare.contains(name, r) : compare.overlap(name, r))),
    );
}

/**
 * The rules of a cloud that refuse one permission, wherever it is granted, kept per permission:
 * every binding asks about the same few catalogue actions and roles. Bounded: past the limit the
 * cache starts over.
 */
const covering = new Map<string, readonly EscalationRule[]>();

function rulesCovering(cloud: ProviderName, permission: string): readonly EscalationRule[] {
  const key = `${cloud}\u0000${permission}`;
  let rules = covering.get(key);
  if (!rules) {
    rules = ESCALATION_RULES.filter(
      (rule) => rule.cloud === cloud && permissionHits(cloud, rule, permission),
    );
    if (covering.size >= 10_000) covering.clear();
    covering.set(key, rules);
  }
  return rules;
}

/** Each of the grant's permissions that rules in force refuse, with those rules (in the list's order). */
export function escalationsIn(
  cloud: ProviderName,
  grant: ResolvedGrant,
  rules: readonly EscalationRule[],
  home?: IdentityHome,
): { permission: string; rules: EscalationRule[] }[] {
  const inForce = new Set(rules);
  return grant.permissions.flatMap((permission) => {
    const hit = rulesCovering(cloud, permission).filter(
      (r) => inForce.has(r) && inScope(r.scope, grant, home),
    );
    return hit.length > 0 ? [{ permission, rules: hit }] : [];
  });
}

/**
 * Each of the grant's roles that Keyless cannot judge (a custom role, an unknown role definition
 * id) and that `allowEscalation` does not name itself, with the rule that refuses it.
 */
export function opaqueRolesIn(
  cloud: ProviderName,
  grant: ResolvedGrant,
  allowEscalation: readonly string[] = [],
): { permission: string; rule: OpaqueRoleRule }[] {
  if (grant.permissionKind !== 'role') return [];
  return grant.permissions.flatMap((permission) => {
    const rule = OPAQUE_ROLE_RULES.find((r) => r.cloud === cloud && r.covers(permission));
    if (!rule || allowEscalation.some((entry) => rule.names(entry, permission))) return [];
    return [{ permission, rule }];
  });
}

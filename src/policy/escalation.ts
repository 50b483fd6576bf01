import type { ProviderName } from '../api/index.js';
import type { ResolvedGrant } from '../providers/provider.js';
import { CLOUD_COMPARISON } from './cloud-comparison.js';
import { ESCALATION_RULES, type EscalationRule, type RuleScope } from './escalation-rules.js';

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

/** Entries of `allowEscalation` that name no built-in rule of the account's cloud. */
export function unknownAllowances(cloud: ProviderName, allowEscalation: readonly string[] = []): string[] {
  return allowEscalation.filter(
    (allowed) => !ESCALATION_RULES.some((rule) => rule.cloud === cloud && isRuleNamed(cloud, allowed, rule)),
  );
}

const AT_PROJECT = /^projects\/[^/]+$/;
const AT_SUBSCRIPTION = /^\/subscriptions\/[^/]+\/?$/i;

function inScope(scope: RuleScope | undefined, grant: ResolvedGrant): boolean {
  switch (scope ?? 'anywhere') {
    case 'anywhere':
      return true;
    case 'wildcard-resource':
      return grant.scopes.some((s) => /[*?]/.test(s));
    case 'project':
      return grant.scopes.some((s) => AT_PROJECT.test(s));
    case 'subscription':
      return grant.scopes.some((s) => AT_SUBSCRIPTION.test(s));
  }
}

function permissionHits(cloud: ProviderName, rule: EscalationRule, permission: string): boolean {
  const compare = ruleNames(cloud);
  return CLOUD_COMPARISON[cloud]
    .roleNames(permission)
    .names.some((name) =>
      rule.match === 'contains' ? compare.contains(name, rule.refuses) : compare.overlap(name, rule.refuses),
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
): { permission: string; rules: EscalationRule[] }[] {
  const inForce = new Set(rules);
  return grant.permissions.flatMap((permission) => {
    const hit = rulesCovering(cloud, permission).filter((r) => inForce.has(r) && inScope(r.scope, grant));
    return hit.length > 0 ? [{ permission, rules: hit }] : [];
  });
}

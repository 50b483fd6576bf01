import { type CloudAccount, type IdentityBinding, Reason, type WorkloadIdentity } from '../api/index.js';
import { grantsEndAt } from '../policy/expiry.js';
import { guardrailRefusal, namespaceAllowed } from '../policy/guardrails.js';
import { accountRequest, identityRequest } from '../reconcilers/requests.js';
import { isClassified } from '../runtime/errors.js';
import type { Field } from '../views/index.js';
import { PLANNERS } from './plan/clouds.js';

/** The account's guardrails as they judge an identity or binding now. */
export interface GuardrailFinding {
  account: string;
  /** The account's guardrails, as the read model lists them. */
  rules: Field[];
  /** Each problem, naming the grant and the rule; empty when the guardrails allow the object now. */
  problems: string[];
}

/** Reasons a guardrail gives. */
export const GUARDRAIL_REASONS: ReadonlySet<string> = new Set([
  Reason.GuardrailViolation,
  Reason.EscalationRefused,
  Reason.InvalidGrant,
  Reason.NamespaceNotAllowed,
]);

/**
 * Judges the object against its account's guardrails again, as the operator does, with the
 * providers' pure mapping: for a binding when the account has guardrails or a guardrail refused
 * it, for an identity when a guardrail refused it. Undefined when there is nothing to say.
 */
export function guardrailFinding(
  object: WorkloadIdentity | IdentityBinding,
  identity: WorkloadIdentity,
  account: CloudAccount,
  rules: Field[],
  reason: string,
): GuardrailFinding | undefined {
  const refusedByGuardrail = GUARDRAIL_REASONS.has(reason);
  const binding = object.kind === 'IdentityBinding' ? (object as IdentityBinding) : undefined;
  if (!refusedByGuardrail && !(binding && rules.length > 0)) return undefined;
  const base = { account: account.metadata.name, rules };
  if (!binding) {
    const namespace = identity.metadata.namespace ?? '';
    const problems = namespaceAllowed(account.spec.guardrails, namespace)
      ? []
      : [`namespace ${namespace} is not in the account's allowedNamespaces`];
    try {
      // The cluster's name changes no verdict, only names.
      PLANNERS[account.spec.provider].identity(identityRequest(identity, account, 'cluster'));
    } catch (err) {
      if (isClassified(err) && err.reason === Reason.GuardrailViolation) problems.push(err.message);
    }
    return { ...base, problems };
  }
  try {
    const grants = PLANNERS[account.spec.provider].resolve(binding.spec.grants, accountRequest(account));
    const endsAt = grantsEndAt(binding);
    const created = Date.parse(binding.metadata.creationTimestamp ?? '');
    const refusal = guardrailRefusal(account.spec, grants, {
      lifetimeMs: endsAt && !Number.isNaN(created) ? endsAt.getTime() - created : undefined,
      identityResourceGroup: identity.spec.azure?.resourceGroup,
    });
    return { ...base, problems: refusal?.problems ?? [] };
  } catch (err) {
    return { ...base, problems: [(err as Error).message] };
  }
}

import type { FunctionStatus } from '../api/index.js';
import { Reason } from '../api/reasons.js';
import { type ConditionInput, notReady } from './conditions.js';

/**
 * Ready=False when a function the spec names is not running as the identity because it is missing
 * or the operator may not touch it; a forbidden one wins, as only a platform admin can fix it.
 * Undefined when every function is attached (or reported as drift, which the Drifted condition says).
 */
export function functionsVerdict(
  functions: readonly FunctionStatus[] | undefined,
): ConditionInput | undefined {
  const forbidden = (functions ?? []).filter((f) => f.state === 'Forbidden');
  const missing = (functions ?? []).filter((f) => f.state === 'Missing');
  const failing = forbidden.length > 0 ? forbidden : missing;
  if (failing.length === 0) return undefined;
  const message = failing.map((f) => f.message ?? f.arn).join(' ');
  return notReady(forbidden.length > 0 ? Reason.FunctionAccessDenied : Reason.FunctionNotFound, message);
}

/**
 * The Warning Event for a function left running as an identity that was just deleted: a Lambda
 * function's execution role, or a Cloud Run service's service account.
 */
export function roleDeletedMessage(functionId: string, identity: string): string {
  if (functionId.startsWith('projects/'))
    return `Cloud Run service ${functionId} still runs as ${identity}, which was deleted with this identity; Keyless leaves the service unchanged: give it another service account.`;
  return `Lambda function ${functionId} still runs as ${identity}, which was deleted with this identity; Keyless leaves the function unchanged: give it another execution role.`;
}

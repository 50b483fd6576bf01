import type { Drift, FunctionStatus } from '../../api/index.js';
import { Reason } from '../../api/reasons.js';
import { terminal } from '../../runtime/errors.js';
import type { IdentityRequest } from '../provider.js';
import { parseArn, partitionOf } from './arn.js';
import type { AwsAccount } from './mapping.js';

/** What reading one function's configuration gave. */
export type FunctionReading =
  | { arn: string; kind: 'found'; role: string }
  | { arn: string; kind: 'missing' }
  | { arn: string; kind: 'forbidden'; message: string };

export const GET_PERMISSION = 'lambda:GetFunctionConfiguration';
export const UPDATE_PERMISSION = 'lambda:UpdateFunctionConfiguration';
export const PASS_ROLE_PERMISSION = 'iam:PassRole';

/** The Lambda functions the identity's AWSLambda subject names, in spec order, once each. */
export function lambdaFunctionsOf(request: IdentityRequest): string[] {
  const arns = request.spec.subjects.flatMap((s) =>
    s.serverless?.platform === 'AWSLambda' ? (s.serverless.functions ?? []) : [],
  );
  return [...new Set(arns)];
}

/**
 * A function's execution role must be a role of the function's own account (Lambda refuses
 * another's), and the role is in the CloudAccount's account and partition.
 */
export function checkLambdaFunctions(request: IdentityRequest, aws: AwsAccount): void {
  const partition = partitionOf(aws.region);
  for (const [index, arn] of lambdaFunctionsOf(request).entries()) {
    const parsed = parseArn(arn);
    if (parsed?.service !== 'lambda' || !parsed.resource.startsWith('function:')) {
      throw terminal(
        Reason.InvalidSpec,
        `serverless.functions[${index}] ${arn} is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)`,
      );
    }
    if (parsed.account !== aws.accountId || parsed.partition !== partition) {
      throw terminal(
        Reason.InvalidSpec,
        `serverless.functions[${index}] ${arn} is not in the CloudAccount's AWS account ${aws.accountId} (${partition}): a function can only run as a role of its own account`,
      );
    }
  }
}

/** The region a function lives in, which its Lambda endpoint serves. */
export function functionRegion(arn: string): string {
  const region = parseArn(arn)?.region;
  if (!region) throw new Error(`${arn} has no region`);
  return region;
}

/** The drift field of a function's execution role. */
export function functionRoleField(arn: string): string {
  return `functions[${arn}].role`;
}

/**
 * Status and drift from what was read: a function that runs as another role differs from the
 * spec. If Keyless attached it before (`attachedBefore`, from status), that is out-of-band drift
 * (put back under driftPolicy Correct, listed under Report); otherwise the spec is not applied
 * yet (a function that was missing or forbidden until now), and its field is `pending`. A missing
 * or unreadable function is reported, never drift, since no update can fix it.
 */
export function functionStates(
  roleArn: string,
  readings: readonly FunctionReading[],
  attachedBefore: ReadonlySet<string>,
): { states: FunctionStatus[]; drift: Drift[]; pending: string[] } {
  const states: FunctionStatus[] = [];
  const drift: Drift[] = [];
  const pending: string[] = [];
  for (const reading of readings) {
    if (reading.kind === 'missing') {
      states.push({
        arn: reading.arn,
        state: 'Missing',
        message: `Lambda function ${reading.arn} does not exist.`,
      });
    } else if (reading.kind === 'forbidden') {
      states.push({ arn: reading.arn, state: 'Forbidden', message: reading.message });
    } else if (reading.role === roleArn) {
      states.push({ arn: reading.arn, role: reading.role, state: 'Attached' });
    } else {
      states.push({
        arn: reading.arn,
        role: reading.role,
        state: 'Drifted',
        message: `Lambda function ${reading.arn} runs as ${reading.role}, not ${roleArn}.`,
      });
      drift.push({ field: functionRoleField(reading.arn), wanted: roleArn, found: reading.role });
      if (!attachedBefore.has(reading.arn)) pending.push(functionRoleField(reading.arn));
    }
  }
  return { states, drift, pending };
}

/** The functions an update must point at the role: those whose role is listed as drift. */
export function functionsToUpdate(arns: readonly string[], drift: readonly Drift[]): string[] {
  const fields = new Set(drift.map((d) => d.field));
  return arns.filter((arn) => fields.has(functionRoleField(arn)));
}

/** Forbidden: the message names the function and the permission the operator lacks. */
export function forbiddenMessage(arn: string, permission: string, roleArn: string): string {
  const target = permission === PASS_ROLE_PERMISSION ? roleArn : arn;
  const doing = permission === GET_PERMISSION ? 'read' : 'change';
  return `The operator may not ${doing} Lambda function ${arn}: it lacks ${permission} on ${target}.`;
}

/** Which permission an AccessDenied answer to UpdateFunctionConfiguration is about. */
export function updatePermissionDenied(message: string): string {
  return message.includes(PASS_ROLE_PERMISSION) ? PASS_ROLE_PERMISSION : UPDATE_PERMISSION;
}

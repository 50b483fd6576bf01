import { Reason } from '../../api/reasons.js';
import { terminal } from '../../runtime/errors.js';
import type { IdentityRequest } from '../provider.js';
import type { FunctionPlatform } from '../shared/attached-functions.js';
import { parseArn, partitionOf } from './arn.js';
import type { AwsAccount } from './mapping.js';

/** Lambda functions, each running as its execution role. */
export const LAMBDA_FUNCTIONS: FunctionPlatform = {
  noun: 'Lambda function',
  field: (arn) => `functions[${arn}].role`,
  describe: (role) => role,
  permissions: {
    read: 'lambda:GetFunctionConfiguration',
    update: 'lambda:UpdateFunctionConfiguration',
    delegate: 'iam:PassRole',
  },
  delegateTarget: (roleArn) => roleArn,
};

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

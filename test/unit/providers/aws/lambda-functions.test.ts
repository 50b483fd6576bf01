import {
  InvalidParameterValueException,
  ResourceConflictException,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import type { CloudAccountSpec, WorkloadIdentitySpec } from '../../../../src/api/index.js';
import { LAMBDA_FUNCTION_ARN_PATTERN } from '../../../../src/api/index.js';
import { classifyAwsError, isResourceNotFound } from '../../../../src/providers/aws/errors.js';
import {
  functionRegion,
  LAMBDA_FUNCTIONS,
  lambdaFunctionsOf,
} from '../../../../src/providers/aws/lambda-functions.js';
import { validateAwsIdentity } from '../../../../src/providers/aws/mapping.js';
import type { IdentityRequest } from '../../../../src/providers/provider.js';
import {
  type FunctionReading,
  forbiddenMessage,
  functionStates,
  functionsToUpdate,
  updatePermissionDenied,
} from '../../../../src/providers/shared/attached-functions.js';
import { catalogueEntryOf } from '../../../support/reasons.js';

const AWS = {
  accountId: '123456789012',
  region: 'eu-west-1',
  oidcProvider: { issuerUrl: 'https://oidc.example.com' },
};
const ROLE = 'arn:aws:iam::123456789012:role/keyless/keyless-shop-fn-0a1b2c3d';
const OTHER = 'arn:aws:iam::123456789012:role/someone-else';
const fn = (name: string, region = 'eu-west-1', account = '123456789012') =>
  `arn:aws:lambda:${region}:${account}:function:${name}`;

function request(
  functions: string[],
  platform: 'AWSLambda' | 'AzureFunction' = 'AWSLambda',
): IdentityRequest {
  const spec: WorkloadIdentitySpec = {
    accountRef: { name: 'prod' },
    subjects: [{ serviceAccount: { name: 'api' } }, { serverless: { platform, functions } }],
  };
  return {
    owner: { cluster: 'c', namespace: 'shop', name: 'fn', uid: 'u' },
    account: { name: 'prod', spec: { provider: 'aws', aws: AWS } as CloudAccountSpec },
    spec,
    adopt: false,
  };
}

describe('the function ARN pattern of the CRD', () => {
  const pattern = new RegExp(LAMBDA_FUNCTION_ARN_PATTERN);
  it.each([
    [fn('orders'), true],
    [fn('a_b-C9', 'us-gov-west-1').replace('arn:aws:', 'arn:aws-us-gov:'), true],
    [fn('orders', 'cn-north-1').replace('arn:aws:', 'arn:aws-cn:'), true],
    [`${fn('orders')}:live`, false],
    [`${fn('orders')}:$LATEST`, false],
    ['arn:aws:lambda:eu-west-1:123456789012:layer:x', false],
    ['arn:aws:lambda:eu-west-1:12345:function:x', false],
    ['arn:aws:iam::123456789012:role/x', false],
    [fn('x'.repeat(65)), false],
    ['orders', false],
  ])('%s matches: %s', (arn, matches) => {
    expect(pattern.test(arn)).toBe(matches);
  });
});

describe('which functions', () => {
  it('are those of the AWSLambda subject, once each, in spec order', () => {
    expect(lambdaFunctionsOf(request([fn('b'), fn('a'), fn('b')]))).toEqual([fn('b'), fn('a')]);
    expect(lambdaFunctionsOf(request([]))).toEqual([]);
  });

  it('must be in the account (a function runs only as a role of its own account)', () => {
    expect(() => validateAwsIdentity(request([fn('a'), fn('b', 'us-east-1')]))).not.toThrow();
    expect(() => validateAwsIdentity(request([fn('a'), fn('b', 'eu-west-1', '210987654321')]))).toThrow(
      expect.objectContaining({
        reason: 'InvalidSpec',
        message: expect.stringContaining('serverless.functions[1] arn:aws:lambda:eu-west-1:210987654321'),
      }),
    );
    const china = fn('a', 'cn-north-1').replace('arn:aws:', 'arn:aws-cn:');
    expect(() => validateAwsIdentity(request([china]))).toThrow(
      expect.objectContaining({ reason: 'InvalidSpec' }),
    );
  });

  it('are called in their own region', () => {
    expect(functionRegion(fn('a', 'ap-southeast-2'))).toBe('ap-southeast-2');
  });
});

describe('function states and drift', () => {
  const readings: FunctionReading[] = [
    { id: fn('attached'), kind: 'found', runsAs: ROLE },
    { id: fn('other'), kind: 'found', runsAs: OTHER },
    { id: fn('gone'), kind: 'missing' },
    { id: fn('secret'), kind: 'forbidden', message: 'no' },
  ];

  it('say for each function whether it runs as the role; only another role is drift', () => {
    const { states, drift, pending } = functionStates(
      LAMBDA_FUNCTIONS,
      ROLE,
      readings,
      new Set([fn('attached'), fn('other')]),
    );
    expect(pending).toEqual([]);
    expect(states).toEqual([
      { arn: fn('attached'), role: ROLE, state: 'Attached' },
      {
        arn: fn('other'),
        role: OTHER,
        state: 'Drifted',
        message: `Lambda function ${fn('other')} runs as ${OTHER}, not ${ROLE}.`,
      },
      { arn: fn('gone'), state: 'Missing', message: `Lambda function ${fn('gone')} does not exist.` },
      { arn: fn('secret'), state: 'Forbidden', message: 'no' },
    ]);
    expect(drift).toEqual([{ field: `functions[${fn('other')}].role`, wanted: ROLE, found: OTHER }]);
  });

  it.each<[string, string[], string[]]>([
    ['Keyless attached it before: out-of-band drift', [fn('other')], []],
    [
      'never attached (missing or forbidden until now): the spec not applied yet',
      [],
      [`functions[${fn('other')}].role`],
    ],
  ])('another role on a function: %s', (_, attachedBefore, expected) => {
    const { drift, pending } = functionStates(LAMBDA_FUNCTIONS, ROLE, readings, new Set(attachedBefore));
    expect(drift.map((d) => d.field)).toEqual([`functions[${fn('other')}].role`]);
    expect(pending).toEqual(expected);
  });

  it.each([
    ['nothing differs', [], []],
    ['a role field of a listed function', [`functions[${fn('b')}].role`], [fn('b')]],
    ['only listed functions', [`functions[${fn('z')}].role`, 'trustPolicy'], []],
    [
      'several, in spec order',
      [`functions[${fn('c')}].role`, `functions[${fn('a')}].role`],
      [fn('a'), fn('c')],
    ],
  ])('an update points at the role: %s', (_, fields, expected) => {
    const drift = fields.map((field) => ({ field, wanted: ROLE, found: OTHER }));
    expect(functionsToUpdate(LAMBDA_FUNCTIONS, [fn('a'), fn('b'), fn('c')], drift)).toEqual(expected);
  });

  it('a refusal names the function and the missing permission', () => {
    expect(forbiddenMessage(LAMBDA_FUNCTIONS, fn('a'), 'lambda:GetFunctionConfiguration', ROLE)).toBe(
      `The operator may not read Lambda function ${fn('a')}: it lacks lambda:GetFunctionConfiguration on ${fn('a')}.`,
    );
    expect(forbiddenMessage(LAMBDA_FUNCTIONS, fn('a'), 'iam:PassRole', ROLE)).toBe(
      `The operator may not change Lambda function ${fn('a')}: it lacks iam:PassRole on ${ROLE}.`,
    );
    expect(
      updatePermissionDenied(
        LAMBDA_FUNCTIONS,
        `User: arn:aws:sts::123456789012:assumed-role/op is not authorized to perform: iam:PassRole on resource: ${ROLE}`,
      ),
    ).toBe('iam:PassRole');
    expect(
      updatePermissionDenied(
        LAMBDA_FUNCTIONS,
        'not authorized to perform: lambda:UpdateFunctionConfiguration',
      ),
    ).toBe('lambda:UpdateFunctionConfiguration');
  });
});

describe('Lambda errors, as the SDK builds them', () => {
  const meta = (status: number) => ({ $metadata: { httpStatusCode: status } });

  it('retries while Lambda cannot assume the role yet (IAM propagation), and only then', () => {
    const notYet = new InvalidParameterValueException({
      message: 'The role defined for the function cannot be assumed by Lambda.',
      ...meta(400),
    });
    const classified = classifyAwsError(notYet, 'UpdateFunctionConfiguration');
    expect(classified).toMatchObject({ kind: 'retryable', reason: 'RolePropagating' });
    expect(catalogueEntryOf(classified)).toEqual({ catalogued: true, outcomeFitsKind: true });
    const other = new InvalidParameterValueException({ message: 'Unsupported runtime', ...meta(400) });
    expect(classifyAwsError(other, 'UpdateFunctionConfiguration')).toMatchObject({
      kind: 'terminal',
      reason: 'InvalidRequest',
    });
  });

  it('retries an update in progress and knows a missing function', () => {
    const conflict = new ResourceConflictException({ message: 'An update is in progress', ...meta(409) });
    expect(classifyAwsError(conflict, 'UpdateFunctionConfiguration')).toMatchObject({
      kind: 'retryable',
      reason: 'Conflict',
    });
    const missing = new ResourceNotFoundException({ message: 'Function not found', ...meta(404) });
    expect(isResourceNotFound(missing)).toBe(true);
    expect(isResourceNotFound(conflict)).toBe(false);
  });
});

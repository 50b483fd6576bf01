import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { expect, it } from 'vitest';
import { AWS_ACCOUNT_NAME, describeWithAws, motoRoleName } from '../support/aws-harness.js';
import type { FaultResponse, ProxiedRequest } from '../support/fault-proxy/index.js';
import {
  conditionOf,
  eventsIn,
  type Observed,
  waitForCondition,
  workloadIdentity,
} from '../support/keyless-objects.js';
import { apply, get, type Manifest, remove, waitFor } from '../support/kube-manifests.js';
import { createLambdaFunction, createLambdaRole, functionArn } from '../support/lambda-functions.js';
import { awsClientConfig, MOTO_ACCOUNT_ID } from '../support/moto/index.js';

/** An error as Lambda's REST-JSON protocol sends it. */
function lambdaError(code: string, message: string, status: number): FaultResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': code },
    body: JSON.stringify({ Type: 'User', message }),
  };
}

const updateOf =
  (name: string) =>
  (request: ProxiedRequest): boolean =>
    request.method === 'PUT' && decodeURIComponent(request.url).includes(`function:${name}/configuration`);

describeWithAws('Lambda functions that run as their identity, on moto', (world) => {
  const iam = () => new IAMClient(awsClientConfig(world.moto().endpoint));
  const lambda = () => new LambdaClient(awsClientConfig(world.moto().endpoint));
  const roleArnOf = (identity: string) =>
    `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/keyless/${motoRoleName(identity, world.controlPlane().issuerUrl)}`;
  let previousRole = '';

  const createFunction = async (name: string) => {
    previousRole ||= await createLambdaRole(iam(), 'lambda-previous');
    await createLambdaFunction(lambda(), name, previousRole);
  };
  const roleOf = async (name: string) =>
    (await lambda().send(new GetFunctionConfigurationCommand({ FunctionName: functionArn(name) }))).Role;
  const setRole = (name: string, role: string) =>
    lambda().send(new UpdateFunctionConfigurationCommand({ FunctionName: functionArn(name), Role: role }));
  const lambdaIdentity = (name: string, functions: string[], spec: Record<string, unknown> = {}): Manifest =>
    workloadIdentity(name, AWS_ACCOUNT_NAME, {
      subjects: [{ serverless: { platform: 'AWSLambda', functions: functions.map(functionArn) } }],
      ...spec,
    });
  const events = (reason: string) => eventsIn(world.admin(), 'shop', reason);

  it('points each function at the role; a missing one is named while the other converges, until it exists', async () => {
    await createFunction('orders-fn');
    const identity = lambdaIdentity('orders-lambda', ['orders-fn', 'late-fn']);
    await apply(world.admin(), identity);
    const waiting = (await waitForCondition(world.admin(), identity, 'Ready', {
      status: 'False',
      reason: 'FunctionNotFound',
    })) as Observed;
    const role = roleArnOf('orders-lambda');
    expect(conditionOf(waiting, 'Ready')?.message).toContain(
      `Lambda function ${functionArn('late-fn')} does not exist`,
    );
    expect(conditionOf(waiting, 'Synced')?.status).toBe('True');
    expect(waiting.status?.functions).toEqual([
      { arn: functionArn('orders-fn'), role, state: 'Attached' },
      {
        arn: functionArn('late-fn'),
        state: 'Missing',
        message: `Lambda function ${functionArn('late-fn')} does not exist.`,
      },
    ]);
    expect(await roleOf('orders-fn')).toBe(role);

    await createFunction('late-fn');
    const ready = (await waitForCondition(world.admin(), identity, 'Ready', {
      status: 'True',
    })) as Observed;
    expect(ready.status?.functions?.map((f) => f.state)).toEqual(['Attached', 'Attached']);
    expect(await roleOf('late-fn')).toBe(role);

    // Steady state: each resync reads the role and each function, and writes nothing.
    world.proxy().resetCounts();
    await waitFor('two resyncs', async () => (world.proxy().counts().GetRole ?? 0) >= 2);
    const counts = world.proxy().counts();
    const reads = Object.entries(counts).filter(([op]) => op.startsWith('GET /2015-03-31/functions/'));
    const writes = Object.keys(counts).filter((op) => !/^(Get|List|GET )/.test(op));
    expect(writes).toEqual([]);
    expect(reads.map(([op]) => decodeURIComponent(op)).sort()).toEqual([
      `GET /2015-03-31/functions/${functionArn('late-fn')}/configuration`,
      `GET /2015-03-31/functions/${functionArn('orders-fn')}/configuration`,
    ]);
  });

  it('puts the role back when another is set out of band (driftPolicy Correct)', async () => {
    await setRole('orders-fn', previousRole);
    const role = roleArnOf('orders-lambda');
    await waitFor('the function corrected', async () => (await roleOf('orders-fn')) === role);
    await waitFor('a DriftCorrected Event', async () =>
      (await events('DriftCorrected')).some((e) =>
        e.note.includes(
          `functions[${functionArn('orders-fn')}].role (found ${previousRole}, wanted ${role})`,
        ),
      ),
    );
  });

  it('reports another role under driftPolicy Report and leaves the function alone', async () => {
    await createFunction('report-fn');
    const identity = lambdaIdentity('report-lambda', ['report-fn'], { driftPolicy: 'Report' });
    await apply(world.admin(), identity);
    await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
    const role = roleArnOf('report-lambda');
    expect(await roleOf('report-fn')).toBe(role);

    await setRole('report-fn', previousRole);
    const drifted = (await waitForCondition(world.admin(), identity, 'Drifted', {
      status: 'True',
      reason: 'DriftDetected',
    })) as Observed;
    expect(drifted.status?.drift).toEqual([
      { field: `functions[${functionArn('report-fn')}].role`, wanted: role, found: previousRole },
    ]);
    expect(drifted.status?.functions).toEqual([
      {
        arn: functionArn('report-fn'),
        role: previousRole,
        state: 'Drifted',
        message: `Lambda function ${functionArn('report-fn')} runs as ${previousRole}, not ${role}.`,
      },
    ]);
    expect(conditionOf(drifted, 'Ready')?.status).toBe('True');
    expect(await roleOf('report-fn')).toBe(previousRole);
  });

  it('attaches under driftPolicy Report a function that did not exist when the spec was applied', async () => {
    const identity = lambdaIdentity('report-late', ['report-late-fn'], { driftPolicy: 'Report' });
    await apply(world.admin(), identity);
    await waitForCondition(world.admin(), identity, 'Ready', { status: 'False', reason: 'FunctionNotFound' });

    // Created afterwards with another role: Keyless never attached it, so that is the spec not
    // yet applied, not drift to report.
    await createFunction('report-late-fn');
    const ready = (await waitForCondition(world.admin(), identity, 'Ready', {
      status: 'True',
    })) as Observed;
    const role = roleArnOf('report-late');
    expect(await roleOf('report-late-fn')).toBe(role);
    expect(ready.status?.functions).toEqual([
      { arn: functionArn('report-late-fn'), role, state: 'Attached' },
    ]);
    expect(ready.status?.drift).toBeUndefined();
    expect(conditionOf(ready, 'Drifted')?.status).toBe('False');
    expect(
      (await events('Updated')).some((e) =>
        e.note.endsWith(`: functions[${functionArn('report-late-fn')}].role.`),
      ),
    ).toBe(true);

    // Once attached, another role on it is drift again, and only reported.
    await setRole('report-late-fn', previousRole);
    await waitForCondition(world.admin(), identity, 'Drifted', { status: 'True', reason: 'DriftDetected' });
    expect(await roleOf('report-late-fn')).toBe(previousRole);
  });

  it('retries while Lambda cannot assume the new role yet, and names the function it may not change', async () => {
    await createFunction('fresh-fn');
    await createFunction('locked-fn');
    const propagating = world.proxy().inject({
      when: updateOf('fresh-fn'),
      times: 2,
      respond: lambdaError(
        'InvalidParameterValueException',
        'The role defined for the function cannot be assumed by Lambda.',
        400,
      ),
    });
    const role = roleArnOf('fresh-lambda');
    const denied = world.proxy().inject({
      when: updateOf('locked-fn'),
      respond: lambdaError(
        'AccessDeniedException',
        `User: arn:aws:iam::${MOTO_ACCOUNT_ID}:user/keyless is not authorized to perform: iam:PassRole on resource: ${role}`,
        403,
      ),
    });
    const identity = lambdaIdentity('fresh-lambda', ['fresh-fn', 'locked-fn']);
    await apply(world.admin(), identity);
    const forbidden = (await waitForCondition(world.admin(), identity, 'Ready', {
      status: 'False',
      reason: 'FunctionAccessDenied',
    })) as Observed;
    expect(propagating.applied()).toBe(2);
    expect(await roleOf('fresh-fn')).toBe(role);
    expect(await roleOf('locked-fn')).toBe(previousRole);
    const message = `The operator may not change Lambda function ${functionArn('locked-fn')}: it lacks iam:PassRole on ${role}.`;
    expect(conditionOf(forbidden, 'Ready')?.message).toBe(message);
    expect(forbidden.status?.functions).toEqual([
      { arn: functionArn('fresh-fn'), role, state: 'Attached' },
      { arn: functionArn('locked-fn'), state: 'Forbidden', message },
    ]);
    // What could not be changed stays drift, and no Event claims it corrected.
    expect(forbidden.status?.drift).toEqual([
      { field: `functions[${functionArn('locked-fn')}].role`, wanted: role, found: previousRole },
    ]);
    expect(conditionOf(forbidden, 'Drifted')?.status).toBe('True');
    expect((await events('RolePropagating')).length).toBeGreaterThan(0);
    expect((await events('DriftCorrected')).filter((e) => e.note.includes('locked-fn'))).toEqual([]);

    denied.remove();
    await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
    expect(await roleOf('locked-fn')).toBe(role);
  });

  it('leaves functions alone on delete: Retain keeps the role, Delete deletes it and warns per function', async () => {
    const retained = lambdaIdentity('orders-lambda', ['orders-fn', 'late-fn'], { deletionPolicy: 'Retain' });
    await apply(world.admin(), retained);
    await waitFor('deletionPolicy Retain applied', async () => {
      const object = await get<Observed>(world.admin(), retained);
      return (object?.status?.observedGeneration ?? 0) >= 2 || undefined;
    });
    await remove(world.admin(), retained);
    await waitFor('orders-lambda gone', async () => (await get(world.admin(), retained)) === undefined);
    const role = roleArnOf('orders-lambda');
    expect(await roleOf('orders-fn')).toBe(role);
    const kept = await iam().send(
      new GetRoleCommand({ RoleName: motoRoleName('orders-lambda', world.controlPlane().issuerUrl) }),
    );
    expect(kept.Role?.Arn).toBe(role);
    expect((await events('FunctionRoleDeleted')).length).toBe(0);

    const deleted = lambdaIdentity('fresh-lambda', ['fresh-fn', 'locked-fn']);
    await remove(world.admin(), deleted);
    await waitFor('fresh-lambda gone', async () => (await get(world.admin(), deleted)) === undefined);
    const freshRole = roleArnOf('fresh-lambda');
    const gone = await iam()
      .send(new GetRoleCommand({ RoleName: motoRoleName('fresh-lambda', world.controlPlane().issuerUrl) }))
      .then(() => false)
      .catch((err: Error) => err.name === 'NoSuchEntityException' || err.name === 'NoSuchEntity');
    expect(gone).toBe(true);
    expect(await roleOf('fresh-fn')).toBe(freshRole);
    const warnings = await waitFor('a FunctionRoleDeleted Event per function', async () => {
      const found = await events('FunctionRoleDeleted');
      return found.length >= 2 ? found : undefined;
    });
    expect(warnings.map((e) => e.type)).toEqual(['Warning', 'Warning']);
    expect(warnings.map((e) => e.note).sort()).toEqual(
      [functionArn('fresh-fn'), functionArn('locked-fn')].map(
        (arn) =>
          `Lambda function ${arn} still runs as ${freshRole}, which was deleted with this identity; Keyless leaves the function unchanged: give it another execution role.`,
      ),
    );
  });
});

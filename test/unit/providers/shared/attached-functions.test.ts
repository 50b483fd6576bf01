import { describe, expect, it } from 'vitest';
import type { Drift, FunctionStatus } from '../../../../src/api/index.js';
import { Reason } from '../../../../src/api/reasons.js';
import { LAMBDA_FUNCTIONS } from '../../../../src/providers/aws/lambda-functions.js';
import { CLOUD_RUN_SERVICES } from '../../../../src/providers/gcp/cloud-run-services.js';
import {
  afterAttaching,
  attachFunctions,
  readFunction,
  withFunctionReadings,
} from '../../../../src/providers/shared/attached-functions.js';
import { ClassifiedError } from '../../../../src/runtime/errors.js';

const ROLE = 'arn:aws:iam::123456789012:role/keyless/keyless-shop-fn-0a1b2c3d';
const denied = (message: string) =>
  new ClassifiedError(message, { kind: 'terminal', reason: Reason.AccessDenied });
type Observed = { upToDate: boolean; drift: Drift[]; pending?: string[]; functions?: FunctionStatus[] };
const propagating = new ClassifiedError('cannot be assumed by Lambda', {
  kind: 'retryable',
  reason: Reason.RolePropagating,
});

describe('reading one function', () => {
  it('gives what it runs as, that it is missing, or that the operator may not read it', async () => {
    expect(await readFunction(LAMBDA_FUNCTIONS, 'a', ROLE, async () => 'r')).toEqual({
      id: 'a',
      kind: 'found',
      runsAs: 'r',
    });
    expect(await readFunction(LAMBDA_FUNCTIONS, 'a', ROLE, async () => undefined)).toEqual({
      id: 'a',
      kind: 'missing',
    });
    expect(
      await readFunction(CLOUD_RUN_SERVICES, 's', 'sa@p.iam.gserviceaccount.com', async () => {
        throw denied('403');
      }),
    ).toEqual({
      id: 's',
      kind: 'forbidden',
      message: 'The operator may not read Cloud Run service s: it lacks run.services.get on s.',
    });
  });

  it('throws any other failure', async () => {
    await expect(
      readFunction(LAMBDA_FUNCTIONS, 'a', ROLE, async () => {
        throw propagating;
      }),
    ).rejects.toBe(propagating);
  });
});

describe('attaching functions', () => {
  it('reports missing and forbidden ones in their state while the others are attached', async () => {
    const states = await attachFunctions(LAMBDA_FUNCTIONS, ['ok', 'gone', 'locked'], ROLE, async (id) => {
      if (id === 'locked') throw denied(`not authorized to perform: iam:PassRole on resource: ${ROLE}`);
      return id === 'ok';
    });
    expect(states).toEqual([
      { arn: 'ok', role: ROLE, state: 'Attached' },
      { arn: 'gone', state: 'Missing', message: 'Lambda function gone does not exist.' },
      {
        arn: 'locked',
        state: 'Forbidden',
        message: `The operator may not change Lambda function locked: it lacks iam:PassRole on ${ROLE}.`,
      },
    ]);
  });

  it('tries every function before it throws another failure', async () => {
    const tried: string[] = [];
    await expect(
      attachFunctions(LAMBDA_FUNCTIONS, ['a', 'b'], ROLE, async (id) => {
        tried.push(id);
        if (id === 'a') throw propagating;
        return true;
      }),
    ).rejects.toBe(propagating);
    expect(tried).toEqual(['a', 'b']);
  });
});

describe('the observation', () => {
  const base: Observed = {
    upToDate: true,
    drift: [{ field: 'tags', wanted: 'a', found: 'b' }],
    pending: ['tags'],
  };

  it('adds the functions’ drift and pending fields to the rest', () => {
    const observed = withFunctionReadings(
      base,
      LAMBDA_FUNCTIONS,
      ROLE,
      [
        { id: 'a', kind: 'found', runsAs: ROLE },
        { id: 'b', kind: 'found', runsAs: 'other' },
      ],
      new Set(),
    );
    expect(observed.upToDate).toBe(false);
    expect(observed.drift.map((d) => d.field)).toEqual(['tags', 'functions[b].role']);
    expect(observed.pending).toEqual(['tags', 'functions[b].role']);
    expect(observed.functions?.map((f) => f.state)).toEqual(['Attached', 'Drifted']);
  });

  it('after an update keeps as drift only the functions it could not attach', () => {
    const observed = {
      drift: [
        { field: 'functions[a].role', wanted: ROLE, found: 'x' },
        { field: 'functions[b].role', wanted: ROLE, found: 'x' },
      ],
      functions: [
        { arn: 'a', role: 'x', state: 'Drifted' as const },
        { arn: 'b', role: 'x', state: 'Drifted' as const },
      ],
    };
    const after = afterAttaching<Observed>(
      { upToDate: true, drift: [] },
      LAMBDA_FUNCTIONS,
      observed,
      ['a', 'b'],
      [
        { arn: 'a', role: ROLE, state: 'Attached' },
        { arn: 'b', state: 'Forbidden', message: 'no' },
      ],
    );
    expect(after.upToDate).toBe(false);
    expect(after.drift.map((d) => d.field)).toEqual(['functions[b].role']);
    expect(after.functions).toEqual([
      { arn: 'a', role: ROLE, state: 'Attached' },
      { arn: 'b', state: 'Forbidden', message: 'no' },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import type { FunctionStatus } from '../../../src/api/index.js';
import { functionsVerdict } from '../../../src/reconcilers/serverless-functions.js';

const attached: FunctionStatus = { arn: 'arn:a', role: 'r', state: 'Attached' };
const drifted: FunctionStatus = { arn: 'arn:d', role: 'x', state: 'Drifted', message: 'd runs as x.' };
const missing: FunctionStatus = { arn: 'arn:m', state: 'Missing', message: 'm does not exist.' };
const forbidden: FunctionStatus = { arn: 'arn:f', state: 'Forbidden', message: 'f lacks iam:PassRole.' };

describe('functionsVerdict', () => {
  it.each([
    ['no functions', undefined, undefined],
    ['all attached', [attached], undefined],
    ['drift only (the Drifted condition reports it)', [attached, drifted], undefined],
    ['a missing function', [attached, missing], ['FunctionNotFound', 'm does not exist.']],
    ['a forbidden one wins', [missing, forbidden], ['FunctionAccessDenied', 'f lacks iam:PassRole.']],
    [
      'every failing one is named',
      [missing, { ...missing, arn: 'arn:n', message: 'n does not exist.' }],
      ['FunctionNotFound', 'm does not exist. n does not exist.'],
    ],
  ])('%s', (_, functions, expected) => {
    const verdict = functionsVerdict(functions as FunctionStatus[] | undefined);
    if (!expected) expect(verdict).toBeUndefined();
    else
      expect(verdict).toEqual({ type: 'Ready', status: 'False', reason: expected[0], message: expected[1] });
  });
});

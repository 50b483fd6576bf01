import { describe, expect, it } from 'vitest';
import { substitute } from '../../../bench/scenarios/scale.js';

const tokens = new Map([
  ['keyless-bench-0-wi-0-1a2b3c4d', 'keyless-bench-1-wi-150-9f8e7d6c'],
  ['arn:aws:s3:::bench-0', 'arn:aws:s3:::bench-150'],
  ['wi-0', 'wi-150'],
  ['bench-0', 'bench-1'],
]);

describe("the scale scenario's copy of the template pair", () => {
  it('replaces each name, inside a longer one only as part of that one', () => {
    const template = {
      status: {
        externalName: 'keyless-bench-0-wi-0-1a2b3c4d',
        message: 'keyless-bench-0-wi-0-1a2b3c4d is ready to use.',
      },
      tags: { 'keyless.dev/namespace': 'bench-0', 'keyless.dev/name': 'wi-0' },
      trust: ['system:serviceaccount:bench-0:wi-0'],
      permissions: { 'arn:aws:s3:::bench-0': ['s3:GetObject'] },
    };
    expect(substitute(template, tokens)).toEqual({
      status: {
        externalName: 'keyless-bench-1-wi-150-9f8e7d6c',
        message: 'keyless-bench-1-wi-150-9f8e7d6c is ready to use.',
      },
      tags: { 'keyless.dev/namespace': 'bench-1', 'keyless.dev/name': 'wi-150' },
      trust: ['system:serviceaccount:bench-1:wi-150'],
      permissions: { 'arn:aws:s3:::bench-150': ['s3:GetObject'] },
    });
  });

  it('leaves names that only begin like a token, and replaces one that ends a sentence', () => {
    expect(substitute({ a: 'wi-01', b: 'bench-0x', c: 'the wi-0.' }, tokens)).toEqual({
      a: 'wi-01',
      b: 'bench-0x',
      c: 'the wi-150.',
    });
  });

  it('does not change the template it copies', () => {
    const template = { name: 'wi-0' };
    substitute(template, tokens);
    expect(template).toEqual({ name: 'wi-0' });
  });
});

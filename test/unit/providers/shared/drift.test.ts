import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, jsonEqual } from '../../../../src/providers/shared/drift.js';

/** Small values over a few keys, so that random pairs are often equal, or nearly. */
const value = fc.anything({
  key: fc.constantFrom('a', 'b', 'c'),
  values: [fc.constantFrom(0, -0, 1, '', 'x', null, undefined, true, Number.NaN, Number.POSITIVE_INFINITY)],
  maxDepth: 3,
  maxKeys: 3,
});

/** The same value with every object's keys in reverse order. */
function reordered(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reordered);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .reverse()
        .map((k) => [k, reordered((v as Record<string, unknown>)[k])]),
    );
  return v;
}

describe('jsonEqual', () => {
  it('agrees with comparing canonical JSON, for any two values', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(jsonEqual(a, b)).toBe(canonicalJson(a) === canonicalJson(b));
      }),
      { numRuns: 5000 },
    );
  });

  it('holds a value equal to itself with its keys in another order', () => {
    fc.assert(
      fc.property(value, (a) => {
        expect(jsonEqual(a, reordered(a))).toBe(true);
      }),
    );
  });

  it.each([
    ['a dropped undefined field', { a: 1, b: undefined }, { a: 1 }, true],
    ['undefined and null in an array', [undefined], [null], true],
    ['NaN and null', { a: Number.NaN }, { a: null }, true],
    ['a field missing from one side', { a: 1, b: 2 }, { a: 1 }, false],
    ['an object and an array', {}, [], false],
    ['arrays of different lengths', [1], [1, 1], false],
    [
      'a condition whose reason changed',
      { conditions: [{ type: 'Ready', reason: 'A' }] },
      { conditions: [{ type: 'Ready', reason: 'B' }] },
      false,
    ],
    ['nothing and null', undefined, null, false],
  ])('%s', (_, a, b, equal) => {
    expect(jsonEqual(a, b)).toBe(equal);
    expect(canonicalJson(a) === canonicalJson(b)).toBe(equal);
  });
});

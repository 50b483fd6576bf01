import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contains, matches, overlap, type PatternSyntax } from '../../../src/policy/patterns.js';
import { nonStars, referenceRegex, stringsUpTo } from '../../support/glob-reference.js';

/** Per syntax: the letters patterns are made of, and the alphabet of the brute force. */
const syntaxes: [string, PatternSyntax, string[], string[]][] = [
  ['plain (? is a letter)', {}, ['a', '?'], ['a', '?', 'c']],
  [
    'AWS (case-insensitive, ? matches one)',
    { caseInsensitive: true, singleCharacter: true },
    ['a', 'b', 'A'],
    ['a', 'b', 'c'],
  ],
  ['? matches one', { singleCharacter: true }, ['a', 'b'], ['a', 'b', 'c']],
];

const pattern = (letters: string[]) =>
  fc.array(fc.constantFrom(...letters, '*', '?'), { maxLength: 4 }).map((chars) => chars.join(''));

describe.each(syntaxes)('pattern algebra, %s', (_name, syntax, letters, alphabet) => {
  const reference = (p: string) => referenceRegex(p, syntax);

  it('matches agrees with a regular expression', () => {
    fc.assert(
      fc.property(
        pattern(letters),
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', '?', 'A', 'B'), maxLength: 6 }),
        (p, s) => {
          expect(matches(p, s, syntax)).toBe(reference(p).test(s));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('overlap holds exactly when some concrete string matches both, and names one', () => {
    fc.assert(
      fc.property(pattern(letters), pattern(letters), (a, b) => {
        const result = overlap(a, b, syntax);
        // A shortest common string reads each character with a non-star token of a or b: removing a
        // character both sides read with a star leaves a shorter common string. So this bound decides.
        const bound = nonStars(a) + nonStars(b);
        let found: string | undefined;
        for (const s of stringsUpTo(alphabet, bound)) {
          if (reference(a).test(s) && reference(b).test(s)) {
            found = s;
            break;
          }
        }
        expect(result.holds).toBe(found !== undefined);
        if (result.holds) {
          expect(reference(a).test(result.witness ?? '')).toBe(true);
          expect(reference(b).test(result.witness ?? '')).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('containment holds exactly when no concrete string matches the inner pattern and not the outer', () => {
    fc.assert(
      fc.property(pattern(letters), pattern(letters), (outer, inner) => {
        const result = contains(outer, inner, syntax);
        // A shortest counterexample is at most one longer than the two patterns' non-star tokens
        // (checked exhaustively over every pair of patterns of up to four tokens).
        const bound = nonStars(outer) + nonStars(inner) + 1;
        let counterexample: string | undefined;
        for (const s of stringsUpTo(alphabet, bound)) {
          if (reference(inner).test(s) && !reference(outer).test(s)) {
            counterexample = s;
            break;
          }
        }
        expect(result.holds).toBe(counterexample === undefined);
        if (!result.holds) {
          expect(reference(inner).test(result.witness ?? '')).toBe(true);
          expect(reference(outer).test(result.witness ?? '')).toBe(false);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('containment implies overlap (for a non-empty inner pattern) and is reflexive', () => {
    fc.assert(
      fc.property(pattern(letters), pattern(letters), (outer, inner) => {
        expect(contains(inner, inner, syntax).holds).toBe(true);
        if (contains(outer, inner, syntax).holds) expect(overlap(outer, inner, syntax).holds).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('pattern algebra, table', () => {
  const aws = { caseInsensitive: true, singleCharacter: true };
  it.each<[string, string, PatternSyntax, boolean]>([
    ['*', 'iam:PassRole', aws, true],
    ['iam:Pass*', 'iam:PassRole', aws, true],
    ['IAM:passrole', 'iam:PassRole', aws, true],
    ['iam:P?ssRole', 'iam:PassRole', aws, true],
    ['iam:*Policy*', 'iam:Put*', aws, true],
    ['iam:Get*', 'iam:Put*', aws, false],
    ['s3:*', 'iam:*', aws, false],
    ['roles/Owner', 'roles/owner', {}, false],
  ])('%s overlaps %s: %s', (a, b, syntax, expected) => {
    expect(overlap(a, b, syntax).holds).toBe(expected);
  });

  it.each<[string, string, PatternSyntax, boolean]>([
    ['*', '*', {}, true],
    ['arn:aws:s3:::shop-*', '*', {}, false],
    ['arn:aws:s3:::shop-*', 'arn:aws:s3:::shop-a', {}, true],
    ['arn:aws:s3:::shop-*', 'arn:aws:s3:::shop-*/logs', {}, true],
    ['arn:aws:s3:::shop-*', 'arn:aws:s3:::sh*', {}, false],
    ['arn:aws:s3:::shop-?', 'arn:aws:s3:::shop-*', aws, false],
    ['*?', '?*', aws, true],
    ['*a*a*', '*aa*', {}, true],
  ])('%s contains %s: %s', (outer, inner, syntax, expected) => {
    expect(contains(outer, inner, syntax).holds).toBe(expected);
  });

  it('answers "not contained" when a containment question outgrows its state budget', () => {
    expect(contains('*', 'a*b*c*', {}).holds).toBe(true);
    expect(contains('*', 'a*b*c*', {}, 3)).toEqual({ holds: false });
  });

  it('decides long patterns within the budget', () => {
    const outer = `arn:aws:s3:::${'*-'.repeat(30)}*`;
    const inner = `arn:aws:s3:::${'a-'.repeat(30)}*`;
    expect(contains(outer, inner, aws).holds).toBe(true);
    expect(contains(outer, `arn:aws:s3:::${'a?'.repeat(30)}`, aws).holds).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { asciiOnly } from '../../../scripts/operator-bundle.js';

describe('asciiOnly', () => {
  it('escapes every character beyond ASCII, astral ones as one code point', () => {
    expect(asciiOnly('/** key → time, β, s³, 🙂 */')).toBe(
      '/** key \\u{2192} time, \\u{3b2}, s\\u{b3}, \\u{1f642} */',
    );
  });

  it('leaves ASCII text as it is', () => {
    const text = 'export const a = "x\\u2192y"; // plain\n';
    expect(asciiOnly(text)).toBe(text);
  });

  it('writes escapes that mean the same characters in a string literal', () => {
    const source = asciiOnly('"→🙂"');
    expect(new Function(`return ${source};`)()).toBe('→🙂');
  });
});

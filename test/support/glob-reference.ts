import type { PatternSyntax } from '../../src/policy/patterns.js';

/**
 * A reference for wildcard patterns, written independently of src/policy/patterns.ts: a pattern
 * as a regular expression, and every string over a small alphabet, for brute-force checks.
 */
export function referenceRegex(pattern: string, syntax: PatternSyntax = {}): RegExp {
  const body = [...pattern]
    .map((c) => {
      if (c === '*') return '[^]*';
      if (c === '?' && syntax.singleCharacter) return '[^]';
      return c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${body}$`, syntax.caseInsensitive ? 'i' : '');
}

/** Every string over `alphabet` of up to `length` characters, shortest first. */
export function* stringsUpTo(alphabet: readonly string[], length: number): Generator<string> {
  let layer = [''];
  for (let n = 0; n <= length; n++) {
    yield* layer;
    layer = layer.flatMap((s) => alphabet.map((c) => s + c));
  }
}

/** How many characters a pattern must read at least: its tokens other than `*`. */
export function nonStars(pattern: string): number {
  return [...pattern].filter((c) => c !== '*').length;
}

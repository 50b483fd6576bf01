import { type Comparison, contains, overlap, type PatternSyntax } from './patterns.js';

/**
 * IAM actions are `SERVICE:NAME`, one colon, neither part holding another. Compared part by part,
 * a `*` in one part cannot stand for the colon (`*:Put*Policy` does not overlap `s3:G*` through
 * `s3:G:PutPolicy`, which is no action). A pattern without a colon (`*`) is compared whole.
 */
export const ACTION_SYNTAX: PatternSyntax = { caseInsensitive: true, singleCharacter: true };

function parts(pattern: string): [string, string] | undefined {
  const colon = pattern.indexOf(':');
  return colon < 0 ? undefined : [pattern.slice(0, colon), pattern.slice(colon + 1)];
}

function partwise(a: string, b: string, compare: typeof overlap): Comparison {
  const [pa, pb] = [parts(a), parts(b)];
  if (!pa || !pb) return compare(a, b, ACTION_SYNTAX);
  const service = compare(pa[0], pb[0], ACTION_SYNTAX);
  if (!service.holds) return service;
  const name = compare(pa[1], pb[1], ACTION_SYNTAX);
  return name.holds ? { holds: true } : name;
}

/** Whether some action matches both patterns. */
export function actionsOverlap(a: string, b: string): boolean {
  return partwise(a, b, overlap).holds;
}

/** Whether every action `inner` matches, `outer` matches too. */
export function actionsContain(outer: string, inner: string): boolean {
  return partwise(outer, inner, contains).holds;
}

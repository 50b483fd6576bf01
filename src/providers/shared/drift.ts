import type { Drift } from '../../api/index.js';

/** JSON with object keys sorted, so equal documents print equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * Whether two values print as the same canonical JSON, found without printing them: a status is
 * compared with the one its reconcile began with on every reconcile, and two printed copies of
 * each (sorted, then stringified) were a good part of the garbage a reconcile leaves.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return printedEqual(printed(a, false), printed(b, false));
}

/** A value as JSON.stringify sees it: dropped (undefined) or null where it cannot be printed. */
function printed(value: unknown, inArray: boolean): unknown {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol')
    return inArray ? null : undefined;
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

function printedEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++)
      if (!printedEqual(printed(a[i], true), printed(b[i], true))) return false;
    return true;
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let printedKeys = 0;
  for (const key of Object.keys(left)) {
    const value = printed(left[key], false);
    if (value === undefined) continue;
    printedKeys++;
    if (!Object.hasOwn(right, key) || !printedEqual(value, printed(right[key], false))) return false;
  }
  for (const key of Object.keys(right)) if (printed(right[key], false) !== undefined) printedKeys--;
  return printedKeys === 0;
}

/** Field-by-field differences between what is wanted and what was found. */
export function diffFields(wanted: object, found: object): Drift[] {
  const drift: Drift[] = [];
  for (const [field, value] of Object.entries(wanted)) {
    const w = canonicalJson(value);
    const f = canonicalJson((found as Record<string, unknown>)[field]);
    if (w !== f) drift.push({ field, wanted: w ?? 'null', found: f ?? 'absent' });
  }
  return drift;
}

/** Differences in the given keys of two string maps (tags), one entry per key. */
export function diffTags(
  field: string,
  wanted: Record<string, string>,
  found: Record<string, string> | undefined,
): Drift[] {
  return Object.keys(wanted)
    .sort()
    .filter((key) => found?.[key] !== wanted[key])
    .map((key) => ({
      field: `${field}[${key}]`,
      wanted: wanted[key] as string,
      found: found?.[key] ?? 'absent',
    }));
}

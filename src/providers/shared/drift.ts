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

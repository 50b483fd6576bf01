/**
 * `next` in place of `previous`: the fields only `previous` has are set undefined, so that the
 * status merge patch removes them (an error cleared, a last use the cloud no longer reports).
 */
export function replacingFields<T extends object>(previous: T | undefined, next: T): T {
  if (!previous) return next;
  const gone = Object.keys(previous).filter((k) => !(k in next));
  return { ...Object.fromEntries(gone.map((k) => [k, undefined])), ...next } as T;
}

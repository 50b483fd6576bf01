/**
 * Awaits every promise, then throws the first failure in argument order. Unlike `Promise.all`, a
 * failure does not leave the others running unobserved (a write still in flight when its sibling
 * read has failed).
 */
export async function settleAll<T extends readonly unknown[]>(
  promises: readonly [...T],
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(promises);
  const values: unknown[] = [];
  for (const outcome of settled) {
    if (outcome.status === 'rejected') throw outcome.reason;
    values.push(outcome.value);
  }
  return values as { -readonly [K in keyof T]: Awaited<T[K]> };
}

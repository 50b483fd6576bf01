/** Writes per WorkloadIdentity + IdentityBinding pair; a handful in all (the CloudAccount) as a count. */
export function perPair(writes: Record<string, number>, pairs: number): string {
  return Object.entries(writes)
    .sort((a, b) => b[1] - a[1])
    .map(
      ([what, count]) => `${what} ${count >= pairs / 10 ? (count / pairs).toFixed(2) : `(${count} in all)`}`,
    )
    .join(', ');
}

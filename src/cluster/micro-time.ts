/** Kubernetes MicroTime (Events, Leases): RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** An RFC 3339 time with millisecond precision, as MicroTime; other forms pass through. */
export function toMicroTime(iso: string | undefined): string | undefined {
  return iso && /\.\d{3}Z$/.test(iso) ? microTime(Date.parse(iso)) : iso;
}

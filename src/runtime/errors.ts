const MAX_CAUSE_DEPTH = 16;

/**
 * A failure that retrying cannot fix (invalid spec, not owned, forbidden by guardrails). The key is
 * not retried; a later change to the object enqueues it again.
 */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';

  constructor(
    /** A CamelCase reason, fit for a condition. */
    readonly reason: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The error itself and its `cause` chain, outermost first. */
function* causeChain(err: unknown): Generator<unknown> {
  let current: unknown = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current !== undefined && current !== null; depth++) {
    yield current;
    current = current instanceof Error ? current.cause : undefined;
  }
}

/** The TerminalError in `err` or its causes, so wrapping a terminal error keeps it terminal. */
export function terminalErrorIn(err: unknown): TerminalError | undefined {
  for (const candidate of causeChain(err)) {
    if (candidate instanceof TerminalError) return candidate;
  }
  return undefined;
}

/** The first `retryAfterMs` (a throttling server's wish) found in `err` or its causes. */
export function retryAfterMsOf(err: unknown): number | undefined {
  for (const candidate of causeChain(err)) {
    if (typeof candidate !== 'object' || candidate === null) continue;
    const value = (candidate as { retryAfterMs?: unknown }).retryAfterMs;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  }
  return undefined;
}

/** Anything thrown, as an Error (a thrown string or object becomes the message / cause). */
export function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(`non-Error thrown: ${String(thrown)}`, { cause: thrown });
}

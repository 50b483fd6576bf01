import { type LevelWithSilent, type Logger, pino } from 'pino';
import { isClassified } from '../runtime/errors.js';

/** JSON lines on stdout, one logger for the process; reconciles get children with their key. */
export function createLogger(level: LevelWithSilent): Logger {
  return pino({
    level,
    base: { component: 'keyless' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: serializeError },
  });
}

const MAX_DEPTH = 8;

/**
 * An error as one log field, each message said once. Keyless's messages already name their cause
 * ("observing the grants: GetRolePolicy: AccessDenied: ..."), so a cause is added only when its
 * message is not part of the one above it. A classified failure is an expected outcome: its kind and
 * reason, no stack. Anything else keeps its stack, for it may be a bug.
 */
export function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return err;
  const fields: Record<string, unknown> = { type: err.name, message: err.message };
  if (isClassified(err)) {
    fields.kind = err.kind;
    fields.reason = err.reason;
  } else if (err.stack) {
    fields.stack = err.stack;
  }
  for (const key of ['code', 'statusCode'] as const) {
    const value = (err as Error & Record<typeof key, unknown>)[key];
    if (typeof value === 'string' || typeof value === 'number') fields[key] = value;
  }
  const cause = err.cause;
  if (depth < MAX_DEPTH && cause !== undefined) {
    const said =
      cause instanceof Error ? err.message.includes(cause.message) : err.message.includes(String(cause));
    if (!said) fields.cause = serializeError(cause, depth + 1);
  }
  return fields;
}

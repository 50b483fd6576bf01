import { isReason, type Outcome, REASONS } from '../../src/api/reasons.js';
import type { ClassifiedError } from '../../src/runtime/errors.js';

/** The outcomes a ClassifiedError of each kind may have in the reasons catalogue. */
const OUTCOMES_OF_KIND: Record<ClassifiedError['kind'], readonly Outcome[]> = {
  retryable: ['Retried'],
  throttled: ['Retried'],
  terminal: ['TerminalSpec', 'TerminalExternal', 'Waiting'],
};

/**
 * What the catalogue says about a classified error's reason, and whether that agrees with how the
 * error is handled: a retried error has a Retried reason, a terminal one a terminal (or waiting) reason.
 */
export function catalogueEntryOf(error: ClassifiedError): { catalogued: boolean; outcomeFitsKind: boolean } {
  const entry = isReason(error.reason) ? REASONS[error.reason] : undefined;
  return {
    catalogued: entry !== undefined,
    outcomeFitsKind: entry !== undefined && OUTCOMES_OF_KIND[error.kind].includes(entry.outcome),
  };
}

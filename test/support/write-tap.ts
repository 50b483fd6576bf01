/**
 * Counts the cloud writes passing a fault proxy and runs actions the moment the count reaches a
 * mark, synchronously, before the request that reached it is passed on: a test can stop the caller
 * exactly there (its write still lands; the answer never comes back).
 */
import type { FaultProxy } from './fault-proxy/index.js';

export interface WriteTap {
  /** Writes seen since the tap was made or last reset. */
  count(): number;
  reset(): void;
  /** Runs `action` with the operation of the write that reaches `mark` (at once if already reached). */
  at(mark: number, action: (operation: string) => void): void;
}

/** AWS Query reads start with Get or List (GetCallerIdentity too); everything else writes. */
export const isAwsWrite = (operation: string): boolean => !/^(Get|List)/.test(operation);

/**
 * A tap on `proxy`. It is a rule that never applies (its predicate only counts), so inject it
 * before any fault rule: the proxy asks the rules in order and stops at the first that applies.
 */
export function tapWrites(proxy: FaultProxy, isWrite: (operation: string) => boolean = isAwsWrite): WriteTap {
  let count = 0;
  let marks: { mark: number; action: (operation: string) => void }[] = [];
  const fire = (operation: string) => {
    const due = marks.filter((m) => m.mark <= count);
    marks = marks.filter((m) => m.mark > count);
    for (const { action } of due) action(operation);
  };
  proxy.inject({
    when: (request) => {
      if (isWrite(request.operation)) {
        count++;
        fire(request.operation);
      }
      return false;
    },
    latencyMs: 0,
  });
  return {
    count: () => count,
    reset: () => {
      count = 0;
      marks = [];
    },
    at: (mark, action) => {
      marks.push({ mark, action });
      fire('(already reached)');
    },
  };
}

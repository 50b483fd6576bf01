import type { Condition } from '../api/conditions.js';

/** A condition as it was from `time` on. */
export interface ConditionTransition {
  type: string;
  status: Condition['status'];
  reason: string;
  message: string;
  /** RFC 3339: the condition's lastTransitionTime, or when the reason changed. */
  time: string;
}

/**
 * The conditions of `next` that differ from `previous` in status or reason: what changed between
 * two versions of an object. A changed message alone is not a transition.
 */
export function conditionTransitions(
  previous: readonly Condition[] | undefined,
  next: readonly Condition[] | undefined,
  now: string,
): ConditionTransition[] {
  return (next ?? []).flatMap((condition) => {
    const before = previous?.find((c) => c.type === condition.type);
    if (before && before.status === condition.status && before.reason === condition.reason) return [];
    const time = before?.status === condition.status ? now : condition.lastTransitionTime;
    return [
      {
        type: condition.type,
        status: condition.status,
        reason: condition.reason,
        message: condition.message,
        time,
      },
    ];
  });
}

/**
 * An object's history: its transitions, or, while the conditions it first got have not changed,
 * those conditions themselves (the cached object's own array, so a converged object's history
 * costs no copy of them).
 */
type Entry = ConditionTransition[] | { readonly firstSeen: readonly Condition[] };

/**
 * Each object's condition transitions as this process saw them, newest last, bounded per object
 * and in objects (the oldest-touched forgotten first). Conditions hold only their latest state; this
 * is their history since the process started.
 */
export class ConditionHistory {
  private readonly byObject = new Map<string, Entry>();

  constructor(
    private readonly perObject = 20,
    private readonly maxObjects = 20_000,
  ) {}

  /** Records what changed from `previous` to `next` for the object with `uid`. */
  record(
    uid: string,
    previous: readonly Condition[] | undefined,
    next: readonly Condition[] | undefined,
    now: string,
  ): void {
    const entry = this.byObject.get(uid);
    const transitions = conditionTransitions(previous, next, now);
    if (transitions.length === 0) {
      // Unchanged but for messages: the first conditions are held as the object has them now.
      if (entry && !Array.isArray(entry) && next && keepsEveryType(entry.firstSeen, next))
        this.byObject.set(uid, { firstSeen: next });
      return;
    }
    let updated: Entry;
    if (!entry && (previous ?? []).length === 0) updated = { firstSeen: next ?? [] };
    else {
      const list = entry ? listOf(entry) : [];
      list.push(...transitions);
      if (list.length > this.perObject) list.splice(0, list.length - this.perObject);
      updated = list;
    }
    this.byObject.delete(uid);
    this.byObject.set(uid, updated);
    for (const oldest of this.byObject.keys()) {
      if (this.byObject.size <= this.maxObjects) break;
      this.byObject.delete(oldest);
    }
  }

  forget(uid: string): void {
    this.byObject.delete(uid);
  }

  of(uid: string): readonly ConditionTransition[] {
    const entry = this.byObject.get(uid);
    return entry ? listOf(entry) : [];
  }
}

/** The transitions an entry stands for (a new array for first-seen conditions). */
function listOf(entry: Entry): ConditionTransition[] {
  return Array.isArray(entry) ? entry : conditionTransitions(undefined, entry.firstSeen, '');
}

function keepsEveryType(first: readonly Condition[], next: readonly Condition[]): boolean {
  return first.every((condition) => next.some((c) => c.type === condition.type));
}

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
 * Each object's condition transitions as this process saw them, newest last, bounded per object
 * and in objects (the oldest-touched forgotten first). Conditions hold only their latest state; this
 * is their history since the process started.
 */
export class ConditionHistory {
  private readonly byObject = new Map<string, ConditionTransition[]>();

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
    const transitions = conditionTransitions(previous, next, now);
    if (transitions.length === 0) return;
    const list = this.byObject.get(uid) ?? [];
    list.push(...transitions);
    if (list.length > this.perObject) list.splice(0, list.length - this.perObject);
    this.byObject.delete(uid);
    this.byObject.set(uid, list);
    for (const oldest of this.byObject.keys()) {
      if (this.byObject.size <= this.maxObjects) break;
      this.byObject.delete(oldest);
    }
  }

  forget(uid: string): void {
    this.byObject.delete(uid);
  }

  of(uid: string): readonly ConditionTransition[] {
    return this.byObject.get(uid) ?? [];
  }
}

import { allViews, type BindingView, type ObjectView, type ReadModel } from './model.js';

/** Why an object needs a person's attention, most urgent first. */
export const ATTENTION = ['Stalled', 'Failing', 'Drifted', 'Expiring'] as const;
export type AttentionWhy = (typeof ATTENTION)[number];

export interface AttentionItem {
  why: AttentionWhy;
  view: ObjectView;
  /** The reason to act on: the deciding condition's, or `Expiring`. */
  reason: string;
  /** The deciding condition's message (naming the guardrail rule, the failing call ...), or when the grants end. */
  message: string;
  /** When it started (the condition's transition), or when the grants end for `Expiring`. */
  since?: string;
}

export const EXPIRING_WITHIN_MS = 24 * 60 * 60 * 1000;

/**
 * What needs attention: stalled and failing objects first (the longest-standing first), then drifted
 * ones, then temporary bindings whose grants end within `withinMs` (the soonest first).
 */
export function attentionOf(model: ReadModel, withinMs = EXPIRING_WITHIN_MS): AttentionItem[] {
  const items: AttentionItem[] = [];
  for (const view of allViews(model)) {
    if (view.state === 'Stalled' || view.state === 'Failing' || view.state === 'Drifted') {
      items.push({
        why: view.state,
        view,
        reason: view.reason,
        message: view.message,
        ...(view.since ? { since: view.since } : {}),
      });
    } else if (view.kind === 'IdentityBinding' && endsWithin(view, model.now, withinMs)) {
      items.push({
        why: 'Expiring',
        view,
        reason: 'Expiring',
        message: `The grants end at ${view.expiresAt}.`,
        ...(view.expiresAt ? { since: view.expiresAt } : {}),
      });
    }
  }
  return items.sort(
    (a, b) =>
      ATTENTION.indexOf(a.why) - ATTENTION.indexOf(b.why) ||
      timeOf(a.since) - timeOf(b.since) ||
      (a.view.namespace ?? '').localeCompare(b.view.namespace ?? '') ||
      a.view.name.localeCompare(b.view.name),
  );
}

/** A binding whose grants have not ended yet and end within `withinMs` of `now`. */
export function endsWithin(view: BindingView, now: number, withinMs: number): boolean {
  if (!view.expiresAt || view.state === 'Ended') return false;
  const end = Date.parse(view.expiresAt);
  return end > now && end - now <= withinMs;
}

function timeOf(time: string | undefined): number {
  const ms = time ? Date.parse(time) : Number.NaN;
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

import { Reason } from '../api/reasons.js';
import {
  type GrantUsage,
  type IdentityUsage,
  REVIEW_DEFAULTS,
  type Review,
  type ReviewAction,
  type RevokedGrant,
} from '../api/usage.js';
import { parseDuration } from './duration.js';
import { globMatch } from './glob.js';

/** The account's review with its defaults applied, in milliseconds. */
export interface ReviewSettings {
  intervalMs: number;
  unusedAfterMs: number;
  /** unusedAfter as the account spells it (or its default), for messages. */
  unusedAfter: string;
  action: ReviewAction;
}

/** A failed review is tried again this soon (or after the interval, when that is shorter). */
export const REVIEW_RETRY_MS = 3_600_000;
/** Reviews are spread by ±10% of the interval, so identities created together are not read together. */
const JITTER = 0.1;

export function reviewSettings(review: Review | undefined): ReviewSettings {
  const unusedAfter = review?.unusedAfter ?? REVIEW_DEFAULTS.unusedAfter;
  return {
    intervalMs: parseDuration(review?.interval ?? REVIEW_DEFAULTS.interval),
    unusedAfterMs: parseDuration(unusedAfter),
    unusedAfter,
    action: review?.action ?? REVIEW_DEFAULTS.action,
  };
}

/**
 * When an identity never reviewed is first due: one interval after its WorkloadIdentity was created,
 * since a new identity has no use to read yet (and a first converge then makes no usage call),
 * spread ±10% by `spread` (0 to 1, from the identity's uid) so that identities created together are
 * not read together. For an identity created more than an interval ago, that moment has passed.
 */
export function firstReviewAt(createdAt: Date, intervalMs: number, spread: number): Date {
  return new Date(createdAt.getTime() + Math.round(intervalMs * (1 - JITTER + 2 * JITTER * spread)));
}

/** A number from 0 to 1 that stays the same for `key` (an FNV-1a hash of it). */
export function spreadOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return hash / 0xffffffff;
}

/**
 * Whether the identity's use should be read now: never read and `firstAt` (firstReviewAt) has come,
 * its next review has come, or the account's interval has since been shortened below what
 * nextReviewAt was planned with.
 */
export function reviewDue(
  usage: IdentityUsage | undefined,
  now: Date,
  intervalMs: number,
  firstAt: Date,
): boolean {
  if (!usage) return now.getTime() >= firstAt.getTime();
  const planned = Date.parse(usage.nextReviewAt);
  const latest = Date.parse(usage.reviewedAt) + intervalMs * (1 + JITTER);
  return !(now.getTime() < Math.min(planned, latest));
}

/** When the next review is due: the interval (or the retry delay after a failure), jittered ±10%. */
export function nextReviewAt(now: Date, intervalMs: number, failed: boolean, random: () => number): Date {
  const base = failed ? Math.min(intervalMs, REVIEW_RETRY_MS) : intervalMs;
  return new Date(now.getTime() + Math.round(base * (1 - JITTER + 2 * JITTER * random())));
}

/** Whether the evidence says anything: a review that read the cloud's record and the cloud can tell. */
export function hasEvidence(usage: IdentityUsage | undefined): boolean {
  // While reviews fail, the last good evidence only ages: judging it would call a grant used since unused.
  return (
    usage !== undefined && usage.unavailable === undefined && usage.source !== '' && usage.error === undefined
  );
}

export interface Verdict {
  /** True: unused for longer than unusedAfter; false: used within it; undefined: the cloud cannot tell. */
  unused: boolean | undefined;
  message: string;
}

const day = (d: Date | string) => new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The identity's verdict. Never used counts from the later of its creation and the start of the
 * cloud's record; an identity younger than unusedAfter is never Unused.
 */
export function identityVerdict(
  usage: IdentityUsage | undefined,
  createdAt: Date,
  now: Date,
  unusedAfterMs: number,
): Verdict {
  if (!usage) return { unused: undefined, message: 'Not reviewed yet.' };
  if (usage.unavailable !== undefined)
    return { unused: undefined, message: `The cloud cannot tell this identity's use: ${usage.unavailable}.` };
  if (!hasEvidence(usage))
    return { unused: undefined, message: `The usage review failed: ${usage.error?.message ?? 'no record'}.` };
  const after = formatSpan(unusedAfterMs);
  if (usage.lastUsed) {
    const unused = now.getTime() - Date.parse(usage.lastUsed) > unusedAfterMs;
    const where = usage.lastUsedWhere ? ` in ${usage.lastUsedWhere}` : '';
    return {
      unused,
      message: `Last used ${day(usage.lastUsed)}${where} (${usage.source})${unused ? `, more than ${after} ago` : ''}.`,
    };
  }
  const from = Math.max(createdAt.getTime(), usage.trackedSince ? Date.parse(usage.trackedSince) : 0);
  const unused = now.getTime() - from > unusedAfterMs;
  return {
    unused,
    message: `Never used since ${day(new Date(from))} (${usage.source} has no use)${unused ? `, more than ${after}` : ''}.`,
  };
}

/** A grant, as the join needs it: its resource and its permissions (AWS actions, or one role). */
export interface GrantPermissions {
  resource: string;
  permissions: string[];
  permissionKind: 'action' | 'role';
}

/**
 * The AWS service namespaces of a grant's actions (s3:GetObject → s3; * → *). Empty for roles and
 * for permissions with no namespace: their use is told by the identity's evidence only.
 */
export function grantServices(grant: GrantPermissions): string[] {
  if (grant.permissionKind !== 'action') return [];
  const services = grant.permissions.flatMap((p) => {
    if (p === '*') return ['*'];
    const colon = p.indexOf(':');
    return colon > 0 ? [p.slice(0, colon).toLowerCase()] : [];
  });
  return [...new Set(services)].sort();
}

const latest = (dates: (string | undefined)[]): string | undefined =>
  dates
    .filter((d): d is string => d !== undefined)
    .sort()
    .at(-1);

/**
 * When the identity's evidence last shows the grant used. Per service where the cloud reports
 * services (and per action where it tracks the service's actions); the identity's last use where it
 * does not. A service is the role's, not the resource's: another grant using it counts too.
 */
export function grantLastUsed(grant: GrantPermissions, usage: IdentityUsage): string | undefined {
  const services = grantServices(grant);
  if (services.length === 0 || usage.services === undefined) return usage.lastUsed;
  if (services.includes('*')) return usage.lastUsed;
  const seen = usage.services.filter((s) => services.some((name) => globMatch(name, s.service)));
  return latest(
    seen.flatMap((s) => {
      if (!s.actions) return [s.lastUsed];
      const tracked = s.actions;
      const actions = grant.permissions.filter((p) => p.toLowerCase().startsWith(`${s.service}:`));
      // An action the service's report does not list (not tracked, or left out for size) may have
      // been used: only the service's own last use speaks for it.
      const untracked = actions.some(
        (p) => !tracked.some((a) => globMatch(p.toLowerCase(), a.action.toLowerCase())),
      );
      return [
        ...(untracked ? [s.lastUsed] : []),
        ...tracked
          .filter((a) => actions.some((p) => globMatch(p.toLowerCase(), a.action.toLowerCase())))
          .map((a) => a.lastUsed),
      ];
    }),
  );
}

/**
 * Pure: each grant joined with the identity's evidence, in spec order. `since` is kept from the
 * binding's previous usage for the same resource, else it is `now` (the grant is first seen).
 */
export function joinGrantUsage(
  grants: GrantPermissions[],
  usage: IdentityUsage,
  previous: readonly GrantUsage[] | undefined,
  now: Date,
): GrantUsage[] {
  const sinceOf = new Map((previous ?? []).map((g) => [g.resource, g.since]));
  return grants.map((grant) => {
    const since = sinceOf.get(grant.resource) ?? now.toISOString();
    const lastUsed = grantLastUsed(grant, usage);
    const unusedSince = lastUsed ? undefined : (latest([since, usage.trackedSince]) ?? since);
    return {
      resource: grant.resource,
      services: grantServices(grant),
      ...(lastUsed ? { lastUsed } : {}),
      ...(unusedSince ? { unusedSince } : {}),
      since,
    };
  });
}

/**
 * The grants unused for longer than unusedAfter: no use recorded since that long ago, and applied
 * at least that long ago (a grant is never unused within the first unusedAfter of its life).
 */
export function unusedGrants(grants: readonly GrantUsage[], now: Date, unusedAfterMs: number): GrantUsage[] {
  const before = now.getTime() - unusedAfterMs;
  return grants.filter((g) => {
    const reference = g.lastUsed ?? g.unusedSince ?? g.since;
    return Date.parse(g.since) <= before && Date.parse(reference) < before;
  });
}

/** One grant and its evidence, for messages: "arn:aws:s3:::b (s3): never used since ...". */
export function describeGrant(grant: GrantUsage, source: string): string {
  const services = grant.services.length > 0 ? ` (${grant.services.join(', ')})` : '';
  return grant.lastUsed
    ? `${grant.resource}${services}: last used ${day(grant.lastUsed)} (${source})`
    : `${grant.resource}${services}: never used since ${day(grant.unusedSince ?? grant.since)} (${source})`;
}

/** The revocations that still hold: those of the binding's current generation (an edit grants again). */
export function standingRevocations(
  revoked: readonly RevokedGrant[] | undefined,
  generation: number | undefined,
): RevokedGrant[] {
  return (revoked ?? []).filter((r) => r.generation === (generation ?? 0));
}

/** Review failures whose reason says the account, not the identity, needs fixing. */
export const ACCOUNT_REVIEW_FAILURES: readonly string[] = [
  Reason.UsageReviewForbidden,
  Reason.UsageApiDisabled,
  Reason.UsageReviewIncomplete,
];

export interface AccountReviewVerdict {
  ok: boolean;
  reason: string;
  message: string;
}

/**
 * Pure: the account's UsageReviewed condition from its identities' usage. Undefined until one was
 * reviewed. A failure names its reason, the first message and how many identities it affects.
 */
export function accountReviewVerdict(
  usages: readonly (IdentityUsage | undefined)[],
): AccountReviewVerdict | undefined {
  const reviewed = usages.filter((u): u is IdentityUsage => u !== undefined);
  if (reviewed.length === 0) return undefined;
  const failures = reviewed.filter(
    (u) => u.error !== undefined && ACCOUNT_REVIEW_FAILURES.includes(u.error.reason),
  );
  const first = failures
    .map((u) => u.error)
    .filter((e) => e !== undefined)
    .sort((a, b) => a.reason.localeCompare(b.reason) || a.message.localeCompare(b.message))[0];
  if (first) {
    const count = failures.filter((u) => u.error?.reason === first.reason).length;
    return {
      ok: false,
      reason: first.reason,
      message: `${count} of ${reviewed.length} identities could not be reviewed: ${first.message}`,
    };
  }
  return { ok: true, reason: Reason.Reviewed, message: `${reviewed.length} identities reviewed.` };
}

function formatSpan(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} days`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

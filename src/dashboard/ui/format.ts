import type { ViewKind } from '../../views/index.js';

export const KIND_LABELS: Record<ViewKind, string> = {
  CloudAccount: 'CloudAccount',
  WorkloadIdentity: 'WorkloadIdentity',
  IdentityBinding: 'IdentityBinding',
};

export const CLOUD_LABELS: Record<string, string> = { aws: 'AWS', gcp: 'Google Cloud', azure: 'Azure' };

/** "3 min ago", "in 2 h", from an RFC 3339 time and now (ms). */
export function relative(time: string | undefined, now: number): string {
  if (!time) return '';
  const ms = Date.parse(time) - now;
  if (Number.isNaN(ms)) return time;
  const abs = Math.abs(ms);
  const [value, unit] =
    abs < 60_000
      ? [Math.round(abs / 1000), 's']
      : abs < 3_600_000
        ? [Math.round(abs / 60_000), 'min']
        : abs < 86_400_000
          ? [Math.round(abs / 3_600_000), 'h']
          : [Math.round(abs / 86_400_000), 'd'];
  if (abs < 5000) return 'just now';
  return ms < 0 ? `${value} ${unit} ago` : `in ${value} ${unit}`;
}

/** The local date and time, for a tooltip beside a relative time. */
export function absolute(time: string | undefined): string {
  if (!time) return '';
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? time : date.toLocaleString();
}

/** The dashboard's own route of an object's API path: /api/v1/namespaces/... → #/namespaces/... */
export function routeOf(apiPath: string): string {
  return `#${apiPath.replace(/^\/api\/v1/, '')}`;
}

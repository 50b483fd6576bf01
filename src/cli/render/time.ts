/** How long ago `time` was, as kubectl writes ages: 45s, 12m, 5h, 3d. */
export function ago(time: string | undefined, now: number): string {
  if (!time) return '-';
  const ms = now - Date.parse(time);
  if (Number.isNaN(ms)) return '-';
  return span(Math.max(ms, 0));
}

/** How far away a time is: `in 3h` ahead, `3h ago` behind. */
export function relative(time: string, now: number): string {
  const ms = Date.parse(time) - now;
  if (Number.isNaN(ms)) return time;
  return ms >= 0 ? `in ${span(ms)}` : `${span(-ms)} ago`;
}

export function span(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s}s`;
  // To the nearest minute: an end set 3h from now, a moment ago, is `in 3h`, not `in 2h59m`.
  const m = Math.round(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 > 0 && h < 10 ? `${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d`;
}

/** A duration as Kubernetes writes one, largest units first: 9h30m, 45m10s, 20s. */
export function duration(ms: number): string {
  const total = Math.floor(ms / 1000);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const text = `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 ? `${s}s` : ''}`;
  return text || '0s';
}

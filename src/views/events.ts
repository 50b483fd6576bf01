/**
 * Kubernetes Events about Keyless objects, in one shape whichever API they were read from
 * (events.k8s.io/v1, as the operator writes them, or core/v1, as `kubectl get events` lists them).
 */
export interface KeylessEvent {
  /** The object the Event is about. */
  regarding: { kind: string; name: string; namespace?: string; uid?: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** When it last happened (RFC 3339). */
  time: string;
  /** How many times it happened (a series, or core/v1's count); 1 for a single Event. */
  count: number;
}

interface ObjectReference {
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
}

/** The fields of either Event API that the read model reads. */
export interface RawEvent {
  metadata?: { creationTimestamp?: string };
  type?: string;
  reason?: string;
  // events.k8s.io/v1
  regarding?: ObjectReference;
  note?: string;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string };
  deprecatedLastTimestamp?: string | null;
  deprecatedCount?: number;
  // core/v1
  involvedObject?: ObjectReference;
  message?: string;
  lastTimestamp?: string | null;
  firstTimestamp?: string | null;
  count?: number;
}

/**
 * One Event of either API in the read model's shape; undefined for an Event that names no object
 * or no time (nothing to show it beside).
 */
export function eventFromKube(raw: RawEvent): KeylessEvent | undefined {
  const about = raw.regarding ?? raw.involvedObject;
  if (!about?.kind || !about.name) return undefined;
  const time =
    raw.series?.lastObservedTime ??
    raw.lastTimestamp ??
    raw.deprecatedLastTimestamp ??
    raw.eventTime ??
    raw.firstTimestamp ??
    raw.metadata?.creationTimestamp;
  if (!time || Number.isNaN(Date.parse(time))) return undefined;
  return {
    regarding: {
      kind: about.kind,
      name: about.name,
      ...(about.namespace ? { namespace: about.namespace } : {}),
      ...(about.uid ? { uid: about.uid } : {}),
    },
    type: raw.type === 'Warning' ? 'Warning' : 'Normal',
    reason: raw.reason ?? '',
    message: raw.note ?? raw.message ?? '',
    time,
    count: Math.max(1, raw.series?.count ?? raw.count ?? raw.deprecatedCount ?? 1),
  };
}

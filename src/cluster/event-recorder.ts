import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { KubeObject } from '../api/index.js';
import { API_VERSION } from '../api/index.js';
import type { KubeClient } from '../kube-api/client.js';
import type { EventRecorder, EventType, KeylessKind } from '../reconcilers/ports.js';
import type { Clock } from '../runtime/clock.js';
import { FIELD_MANAGER_QUERY } from './field-manager.js';
import { microTime } from './micro-time.js';

const REPORTING_CONTROLLER = 'keyless.dev/operator';
/** The API server counts a note's limit in UTF-8 bytes. */
const NOTE_LIMIT_BYTES = 1024;
const MAX_REMEMBERED = 50_000;

export interface EventRecorderOptions {
  client: KubeClient;
  clock: Clock;
  logger: Logger;
  /** This process, e.g. the pod name. */
  instance: string;
  /** The same Warning for the same object is not repeated within this window. */
  dedupeWindowMs?: number;
  /** Warnings remembered at most; past it the oldest are forgotten first. */
  maxRemembered?: number;
}

/**
 * Events (events.k8s.io/v1) about Keyless objects. A failure that repeats on every retry would
 * flood the namespace; the same Warning (reason and note) for the same object is sent once per
 * window. Normal Events report a change Keyless made, each worth its Event, and are not remembered:
 * at 10,000 objects a `Created` each would fill the window's memory for nothing.
 * An Event that cannot be written is logged and does not fail the reconcile.
 */
export class KubeEventRecorder implements EventRecorder {
  private readonly lastSent = new Map<string, number>();
  private readonly window: number;
  private readonly maxRemembered: number;

  constructor(private readonly options: EventRecorderOptions) {
    this.window = options.dedupeWindowMs ?? 10 * 60_000;
    this.maxRemembered = options.maxRemembered ?? MAX_REMEMBERED;
  }

  async record(
    kind: KeylessKind,
    object: KubeObject,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const now = this.options.clock.now();
    const note = truncateUtf8(message, NOTE_LIMIT_BYTES);
    if (type === 'Warning') {
      const dedupeKey = `${object.metadata.uid}\u0000${reason}\u0000${note}`;
      const last = this.lastSent.get(dedupeKey);
      if (last !== undefined && now - last < this.window) return;
      this.remember(dedupeKey, now);
    }
    const namespace = object.metadata.namespace ?? 'default';
    const body = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: eventName(object.metadata.name, now), namespace },
      eventTime: microTime(now),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: this.options.instance,
      action: 'Reconcile',
      reason,
      note,
      type,
      regarding: {
        apiVersion: API_VERSION,
        kind,
        name: object.metadata.name,
        ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
        uid: object.metadata.uid,
        resourceVersion: object.metadata.resourceVersion,
      },
    };
    try {
      await this.options.client.write('POST', `/apis/events.k8s.io/v1/namespaces/${namespace}/events`, {
        body,
        query: FIELD_MANAGER_QUERY,
      });
    } catch (err) {
      this.options.logger.warn(
        { err, kind, name: object.metadata.name, reason },
        'could not record an Event',
      );
    }
  }

  /** Keeps the map in sending order, so the oldest entries are the first dropped when it is full. */
  private remember(key: string, now: number): void {
    this.lastSent.delete(key);
    this.lastSent.set(key, now);
    for (const [oldest, at] of this.lastSent) {
      if (this.lastSent.size <= this.maxRemembered && now - at < this.window) break;
      this.lastSent.delete(oldest);
    }
  }
}

/** `NAME.HEX`, as client-go names Events: unique per object and time, and a valid subdomain. */
function eventName(objectName: string, now: number): string {
  const suffix = `${now.toString(16)}${randomBytes(3).toString('hex')}`;
  return `${objectName.slice(0, 253 - suffix.length - 1)}.${suffix}`;
}

/** `text` cut to at most `limit` UTF-8 bytes on a character boundary, marked with an ellipsis when cut. */
export function truncateUtf8(text: string, limit: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return text;
  const ellipsis = '…';
  let end = Math.max(0, limit - Buffer.byteLength(ellipsis));
  // Step back over continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return `${bytes.subarray(0, end).toString('utf8')}${ellipsis}`;
}

import type { CloudAccount, IdentityBinding, WorkloadIdentity } from '../api/index.js';
import type { Clock } from '../runtime/clock.js';
import type { InformerHandlers } from '../runtime/informer.js';
import type { KubeObject } from '../runtime/kube-object.js';
import type { ReadonlyStore } from '../runtime/store.js';
import {
  buildReadModel,
  ConditionHistory,
  eventFromKube,
  type KeylessEvent,
  type RawEvent,
  type ReadModel,
  type RecentChanges,
} from '../views/index.js';

/** What the live model reads from: an informer's cache and its change handlers. */
export interface CacheFeed<T extends KubeObject> {
  readonly store: ReadonlyStore<T>;
  addHandlers(handlers: InformerHandlers<T>): () => void;
  hasSynced(): boolean;
}

export type EventObject = KubeObject & RawEvent;

export interface LiveReadModelOptions {
  accounts: CacheFeed<CloudAccount>;
  identities: CacheFeed<WorkloadIdentity>;
  bindings: CacheFeed<IdentityBinding>;
  events: CacheFeed<EventObject>;
  changes: RecentChanges;
  clock: Clock;
  /** Changes within this window are announced once. */
  settleMs?: number;
  /** A model is reused for this long when nothing changed (what "ends within 24 h" is measured against moves on). */
  maxAgeMs?: number;
}

/**
 * The read model over the operator's informer caches: rebuilt on demand, at most once per change
 * (and per `maxAgeMs`), and announcing each settled change to its subscribers. It reads the caches
 * only, so looking costs the API server nothing.
 */
export class LiveReadModel {
  private revisionNumber = 0;
  private built: { revision: number; at: number; model: ReadModel } | undefined;
  private readonly history = new ConditionHistory();
  private readonly listeners = new Set<(revision: number) => void>();
  private cancelAnnounce: (() => void) | undefined;
  private readonly settleMs: number;
  private readonly maxAgeMs: number;
  private readonly detach: (() => void)[];

  constructor(private readonly options: LiveReadModelOptions) {
    this.settleMs = options.settleMs ?? 100;
    this.maxAgeMs = options.maxAgeMs ?? 10_000;
    const conditionsOf = (o: CloudAccount | WorkloadIdentity | IdentityBinding) => o.status?.conditions;
    const tracked = <T extends CloudAccount | WorkloadIdentity | IdentityBinding>(): InformerHandlers<T> => ({
      // An object's conditions as first listed are its current ones, shown as such: only changes seen
      // afterwards are history, which keeps the memory per object small while nothing changes.
      onAdd: () => this.changed(),
      onUpdate: (old, o) => {
        if (o.metadata.uid)
          this.history.record(o.metadata.uid, conditionsOf(old), conditionsOf(o), this.nowIso());
        this.changed();
      },
      onDelete: (o) => {
        if (o.metadata.uid) this.history.forget(o.metadata.uid);
        this.changed();
      },
    });
    const untracked: InformerHandlers<EventObject> = {
      onAdd: () => this.changed(),
      onUpdate: () => this.changed(),
      onDelete: () => this.changed(),
    };
    this.detach = [
      options.accounts.addHandlers(tracked<CloudAccount>()),
      options.identities.addHandlers(tracked<WorkloadIdentity>()),
      options.bindings.addHandlers(tracked<IdentityBinding>()),
      options.events.addHandlers(untracked),
    ];
  }

  /** Bumped by every change to the caches. */
  get revision(): number {
    return this.revisionNumber;
  }

  synced(): boolean {
    const { accounts, identities, bindings, events } = this.options;
    return [accounts, identities, bindings, events].every((feed) => feed.hasSynced());
  }

  model(): ReadModel {
    const now = this.options.clock.now();
    if (this.built && this.built.revision === this.revisionNumber && now - this.built.at < this.maxAgeMs) {
      return this.built.model;
    }
    const { accounts, identities, bindings, events, changes } = this.options;
    const model = buildReadModel({
      accounts: accounts.store.list(),
      identities: identities.store.list(),
      bindings: bindings.store.list(),
      events: events.store.list().flatMap((raw): KeylessEvent[] => {
        const event = eventFromKube(raw);
        return event ? [event] : [];
      }),
      changes: changes.list(),
      history: (uid) => this.history.of(uid),
      now,
    });
    this.built = { revision: this.revisionNumber, at: now, model };
    return model;
  }

  /** Calls `listener` with the new revision once changes have settled; returns the unsubscribe. */
  subscribe(listener: (revision: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A cloud change was audited: it shows beside its object. */
  cloudChanged(): void {
    this.changed();
  }

  close(): void {
    this.cancelAnnounce?.();
    for (const detach of this.detach) detach();
    this.listeners.clear();
  }

  private changed(): void {
    this.revisionNumber += 1;
    if (this.cancelAnnounce) return;
    this.cancelAnnounce = this.options.clock.setTimeout(() => {
      this.cancelAnnounce = undefined;
      for (const listener of this.listeners) listener(this.revisionNumber);
    }, this.settleMs);
  }

  private nowIso(): string {
    return new Date(this.options.clock.now()).toISOString();
  }
}

import { describe, expect, it } from 'vitest';
import type { CloudAccount, IdentityBinding, WorkloadIdentity } from '../../../src/api/index.js';
import { type CacheFeed, type EventObject, LiveReadModel } from '../../../src/dashboard/live-model.js';
import type { InformerHandlers } from '../../../src/runtime/informer.js';
import type { KubeObject } from '../../../src/runtime/kube-object.js';
import { Store } from '../../../src/runtime/store.js';
import { RecentChanges } from '../../../src/views/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import { condition, identity } from '../views/fixtures.js';

/** A cache and its handlers, driven by the test as an informer would be. */
class FeedOf<T extends KubeObject> implements CacheFeed<T> {
  readonly store = new Store<T>();
  private handlers: InformerHandlers<T>[] = [];
  addHandlers(handlers: InformerHandlers<T>) {
    this.handlers.push(handlers);
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handlers);
    };
  }
  hasSynced() {
    return true;
  }
  put(object: T) {
    const old = this.store.upsert(object);
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(old, object);
      else h.onAdd?.(object);
    }
  }
}

function live() {
  const clock = new FakeClock(Date.parse('2026-03-01T10:00:00Z'));
  const feeds = {
    accounts: new FeedOf<CloudAccount>(),
    identities: new FeedOf<WorkloadIdentity>(),
    bindings: new FeedOf<IdentityBinding>(),
    events: new FeedOf<EventObject>(),
  };
  const model = new LiveReadModel({ ...feeds, changes: new RecentChanges(), clock, settleMs: 100 });
  return { clock, feeds, model };
}

describe('LiveReadModel', () => {
  it('announces a burst of changes once, after they settle, with the latest revision', () => {
    const { clock, feeds, model } = live();
    const announced: number[] = [];
    model.subscribe((revision) => announced.push(revision));
    feeds.identities.put(identity('a'));
    feeds.identities.put(identity('b'));
    clock.advance(99);
    expect(announced).toEqual([]);
    clock.advance(1);
    expect(announced).toEqual([2]);
    feeds.identities.put(identity('c'));
    clock.advance(100);
    expect(announced).toEqual([2, 3]);
  });

  it('rebuilds the model only after a change, and records the condition transitions it sees', () => {
    const { clock, feeds, model } = live();
    feeds.identities.put(
      identity('a', 'shop', { conditions: [condition('Ready', 'False', 'IdentityNotReady')] }),
    );
    const first = model.model();
    expect(model.model()).toBe(first);
    clock.advance(1000);
    feeds.identities.put(identity('a', 'shop', { conditions: [condition('Ready', 'True', 'Available')] }));
    const second = model.model();
    expect(second).not.toBe(first);
    expect(second.identities[0]?.history.map((h) => `${h.status}/${h.reason}@${h.time}`)).toEqual([
      'True/Available@2026-03-01T10:00:00.000Z',
    ]);
  });

  it('shows Events from the Events feed beside their object', () => {
    const { feeds, model } = live();
    feeds.identities.put(identity('a'));
    feeds.events.put({
      metadata: { name: 'a.1', namespace: 'shop' },
      regarding: { kind: 'WorkloadIdentity', name: 'a', namespace: 'shop', uid: 'uid-shop-a' },
      reason: 'Created',
      note: 'created',
      type: 'Normal',
      eventTime: '2026-03-01T10:00:00.000000Z',
    });
    expect(model.model().identities[0]?.events.map((e) => e.reason)).toEqual(['Created']);
  });
});

import type { CloudAccount, IdentityBinding, WorkloadIdentity } from '../api/index.js';
import type { KeylessEvent } from '../views/index.js';
import type { KeylessApi, Readable } from './keyless-api.js';
import type { ObjectRef } from './object-ref.js';

export type KeylessObject = CloudAccount | WorkloadIdentity | IdentityBinding;

/** One object and what explains it: its account, its identity or bindings, its Events. */
export interface Related {
  object: KeylessObject;
  account?: Readable<CloudAccount>;
  /** For a binding: its identity. */
  identity?: Readable<WorkloadIdentity>;
  /** For an identity: its bindings; for a binding: its identity's bindings (itself included). */
  bindings?: Readable<IdentityBinding[]>;
  events?: Readable<KeylessEvent[]>;
}

/** Reads the object (exit 3 when it is missing or forbidden), then, as RBAC allows, what explains it. */
export async function readRelated(
  api: KeylessApi,
  ref: ObjectRef,
  namespace: string,
  want: { events: boolean },
): Promise<Related> {
  const object = await api.get<KeylessObject>(ref.kind, namespace, ref.name);
  const uid = object.metadata.uid;
  // Events about a cluster-scoped object are recorded in `default`.
  const events =
    want.events && uid ? api.events(object.metadata.namespace ?? 'default', uid) : Promise.resolve(undefined);

  if (ref.kind === 'CloudAccount') {
    const eventList = await events;
    return { object, ...(eventList ? { events: eventList } : {}) };
  }
  if (ref.kind === 'WorkloadIdentity') {
    const identity = object as WorkloadIdentity;
    const [account, bindings, eventList] = await Promise.all([
      api.tryGet<CloudAccount>('CloudAccount', undefined, identity.spec.accountRef.name),
      bindingsOf(api, namespace, identity.metadata.name),
      events,
    ]);
    return { object, account, bindings, ...(eventList ? { events: eventList } : {}) };
  }
  const binding = object as IdentityBinding;
  const [identity, bindings, eventList] = await Promise.all([
    api.tryGet<WorkloadIdentity>('WorkloadIdentity', namespace, binding.spec.identityRef.name),
    bindingsOf(api, namespace, binding.spec.identityRef.name),
    events,
  ]);
  const account = identity.ok
    ? await api.tryGet<CloudAccount>('CloudAccount', undefined, identity.value.spec.accountRef.name)
    : undefined;
  return {
    object,
    identity,
    bindings,
    ...(account ? { account } : {}),
    ...(eventList ? { events: eventList } : {}),
  };
}

async function bindingsOf(
  api: KeylessApi,
  namespace: string,
  identity: string,
): Promise<Readable<IdentityBinding[]>> {
  const listed = await api.tryList<IdentityBinding>('IdentityBinding', namespace);
  return listed.ok
    ? { ok: true, value: listed.value.filter((b) => b.spec.identityRef.name === identity) }
    : listed;
}

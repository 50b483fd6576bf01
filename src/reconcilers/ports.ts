import type {
  CloudAccount,
  CloudAccountStatus,
  IdentityBinding,
  IdentityBindingStatus,
  KubeObject,
  WorkloadIdentity,
  WorkloadIdentityStatus,
} from '../api/index.js';

/**
 * What the reconcilers need from Kubernetes, and nothing more. The operator backs these with
 * informer caches and client-node; reconciler unit tests back them with plain maps.
 */
export interface ClusterReader {
  account(name: string): CloudAccount | undefined;
  identity(namespace: string, name: string): WorkloadIdentity | undefined;
  binding(namespace: string, name: string): IdentityBinding | undefined;
  bindingsOf(namespace: string, identityName: string): IdentityBinding[];
  identitiesOf(accountName: string): WorkloadIdentity[];
  identitiesUsingServiceAccount(namespace: string, serviceAccount: string): WorkloadIdentity[];
}

export type KeylessKind = 'CloudAccount' | 'WorkloadIdentity' | 'IdentityBinding';

export interface StatusOf {
  CloudAccount: CloudAccountStatus;
  WorkloadIdentity: WorkloadIdentityStatus;
  IdentityBinding: IdentityBindingStatus;
}

export interface ClusterWriter {
  /**
   * Adds the finalizer unless present, keeping every other finalizer: the write is guarded by the
   * resourceVersion of `object`, and tried again on the current object when that has moved on.
   */
  addFinalizer(kind: KeylessKind, object: KubeObject, finalizer: string, signal?: AbortSignal): Promise<void>;
  /** Removes the finalizer, and only it; an object that is already gone has none to remove. */
  removeFinalizer(
    kind: KeylessKind,
    object: KubeObject,
    finalizer: string,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Replaces the status subresource. Callers only call it when the status changed. */
  writeStatus<K extends KeylessKind>(kind: K, object: KubeObject, status: StatusOf[K]): Promise<void>;
}

export interface ServiceAccountState {
  exists: boolean;
  annotations: Record<string, string>;
}

export interface ServiceAccounts {
  get(namespace: string, name: string, signal?: AbortSignal): Promise<ServiceAccountState>;
  /**
   * Server-side apply with the field manager `keyless`: `annotations` becomes Keyless's whole set on
   * this ServiceAccount (keys no longer listed are released, other managers' keys stay). Creates
   * the ServiceAccount when it is missing.
   */
  applyAnnotations(
    namespace: string,
    name: string,
    annotations: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<void>;
}

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  record(
    kind: KeylessKind,
    object: KubeObject,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void>;
}

import {
  CLOUD_ACCOUNT,
  GROUP,
  IDENTITY_BINDING,
  type KindDefinition,
  VERSION,
  WORKLOAD_IDENTITY,
} from '../api/index.js';
import type { KeylessKind } from '../reconcilers/ports.js';

export const KIND_DEFINITIONS: Record<KeylessKind, KindDefinition> = {
  CloudAccount: CLOUD_ACCOUNT,
  WorkloadIdentity: WORKLOAD_IDENTITY,
  IdentityBinding: IDENTITY_BINDING,
};

/** `/apis/keyless.dev/v1alpha1[/namespaces/NS]/PLURAL[/NAME]` */
export function resourcePath(kind: KeylessKind, namespace?: string, name?: string): string {
  const { plural } = KIND_DEFINITIONS[kind];
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const suffix = name ? `/${encodeURIComponent(name)}` : '';
  return `/apis/${GROUP}/${VERSION}${ns}/${plural}${suffix}`;
}

/** The collection across all namespaces, for informers. */
export function collectionPath(kind: KeylessKind): string {
  return resourcePath(kind);
}

export function serviceAccountPath(namespace: string, name: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(name)}`;
}

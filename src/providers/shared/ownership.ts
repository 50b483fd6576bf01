import { createHash } from 'node:crypto';
import type { Owner } from '../provider.js';

export const OWNER_TAGS = {
  cluster: 'keyless.dev/cluster',
  namespace: 'keyless.dev/namespace',
  name: 'keyless.dev/name',
  uid: 'keyless.dev/uid',
} as const;

export function ownerTags(owner: Owner): Record<string, string> {
  return {
    [OWNER_TAGS.cluster]: owner.cluster,
    [OWNER_TAGS.namespace]: owner.namespace,
    [OWNER_TAGS.name]: owner.name,
    [OWNER_TAGS.uid]: owner.uid,
  };
}

export function ownerFromTags(tags: Record<string, string> | undefined): Owner | undefined {
  const cluster = tags?.[OWNER_TAGS.cluster];
  const namespace = tags?.[OWNER_TAGS.namespace];
  const name = tags?.[OWNER_TAGS.name];
  if (cluster === undefined || namespace === undefined || name === undefined) return undefined;
  return { cluster, namespace, name, uid: tags?.[OWNER_TAGS.uid] ?? '' };
}

/**
 * The same cluster, namespace and name own a cloud object even across a delete and re-create of
 * the Kubernetes object (its uid changes; the deterministic cloud name does not).
 */
export function sameOwner(a: Owner | undefined, b: Owner): boolean {
  return a !== undefined && a.cluster === b.cluster && a.namespace === b.namespace && a.name === b.name;
}

export function describeOwner(owner: Owner | undefined): string {
  return owner ? `${owner.cluster}/${owner.namespace}/${owner.name}` : 'nobody (no Keyless ownership tags)';
}

/** A short, stable hash of an owner's identity, for deterministic cloud names. */
export function ownerHash(owner: Pick<Owner, 'cluster' | 'namespace' | 'name'>, length = 8): string {
  return createHash('sha256')
    .update(`${owner.cluster}\u0000${owner.namespace}\u0000${owner.name}`)
    .digest('hex')
    .slice(0, length);
}

import type { Owner } from '../provider.js';
import { ownerHash } from './ownership.js';

export interface NameRule {
  prefix: string;
  maxLength: number;
  /** Characters the cloud refuses are replaced by `-`. */
  invalid: RegExp;
  lowercase?: boolean;
}

/**
 * `prefix-namespace-name-hash`, clipped to the cloud's limit. The hash of cluster, namespace and
 * name keeps names unique and stable when the readable part is clipped or sanitised, so a crash
 * between creating an identity and recording it never leads to a second one.
 */
export function deterministicName(
  owner: Pick<Owner, 'cluster' | 'namespace' | 'name'>,
  rule: NameRule,
): string {
  const hash = ownerHash(owner);
  const raw = [rule.prefix, owner.namespace, owner.name].filter(Boolean).join('-');
  const cased = rule.lowercase ? raw.toLowerCase() : raw;
  const readable = cased.replace(rule.invalid, '-').replace(/-+/g, '-');
  const room = rule.maxLength - hash.length - 1;
  return `${readable.slice(0, room).replace(/-$/, '')}-${hash}`;
}

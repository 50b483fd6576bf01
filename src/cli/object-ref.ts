import {
  CLOUD_ACCOUNT,
  GROUP,
  IDENTITY_BINDING,
  type KindDefinition,
  WORKLOAD_IDENTITY,
} from '../api/index.js';
import type { ViewKind } from '../views/index.js';
import { usageError } from './exit-codes.js';

/** One Keyless object named on the command line. */
export interface ObjectRef {
  kind: ViewKind;
  name: string;
}

export const KIND_DEFINITIONS: Record<ViewKind, KindDefinition> = {
  CloudAccount: CLOUD_ACCOUNT,
  WorkloadIdentity: WORKLOAD_IDENTITY,
  IdentityBinding: IDENTITY_BINDING,
};

/** How the plugin writes an object, as kubectl's short names do: `wi/orders-api`. */
export function shortRef(kind: ViewKind, name: string): string {
  return `${KIND_DEFINITIONS[kind].shortNames[0]}/${name}`;
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The kind a user typed, as kubectl accepts it: short name, singular, plural or Kind, optionally `.keyless.dev`. */
export function kindOf(typed: string): ViewKind | undefined {
  const word = typed.toLowerCase().replace(new RegExp(`\\.${GROUP.replace('.', '\\.')}$`), '');
  for (const [kind, definition] of Object.entries(KIND_DEFINITIONS) as [ViewKind, KindDefinition][]) {
    if ([definition.singular, definition.plural, ...definition.shortNames].includes(word)) return kind;
  }
  return undefined;
}

/**
 * `KIND/NAME`, or `KIND NAME` as two words (kubectl takes both). `allowed` narrows the kinds a
 * command takes.
 */
export function parseObjectRef(
  words: readonly string[],
  command: string,
  allowed: readonly ViewKind[] = ['CloudAccount', 'WorkloadIdentity', 'IdentityBinding'],
): ObjectRef {
  const kinds = allowed.map((k) => KIND_DEFINITIONS[k].shortNames[0]).join(', ');
  const [first, second, ...rest] = words;
  if (first === undefined) throw usageError(`${command} needs an object: KIND/NAME (KIND: ${kinds})`);
  let typedKind: string;
  let name: string | undefined;
  if (first.includes('/')) {
    if (second !== undefined) throw usageError(`${command} takes one object, got ${words.join(' ')}`);
    [typedKind, name] = splitOnce(first);
  } else {
    if (rest.length > 0) throw usageError(`${command} takes one object, got ${words.join(' ')}`);
    typedKind = first;
    name = second;
  }
  const kind = kindOf(typedKind);
  if (!kind || !allowed.includes(kind)) {
    throw usageError(`${command} takes ${kinds}; "${typedKind}" is not one of them`);
  }
  if (!name) throw usageError(`${command} needs a name: ${KIND_DEFINITIONS[kind].shortNames[0]}/NAME`);
  if (!NAME.test(name) || name.length > 253) {
    throw usageError(`"${name}" is not a Kubernetes object name (lowercase letters, digits, - and .)`);
  }
  return { kind, name };
}

function splitOnce(text: string): [string, string] {
  const at = text.indexOf('/');
  return [text.slice(0, at), text.slice(at + 1)];
}

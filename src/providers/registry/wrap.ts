import type { CloudProvider, GrantResolver, IdentityValidator, ProviderRegistry } from '../provider.js';

type Part = 'accounts' | 'identities' | 'grants' | 'usage';

/** The names of the methods of `T` that return a promise: the calls that reach a cloud. */
type AsyncMethods<T> = {
  [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof T];

/**
 * Every asynchronous method of the provider contract, by part. The generic wrapper below follows
 * this list, so a change to the contract is an edit here (the type check says when it is missing).
 */
export const CONTRACT = {
  accounts: ['check'],
  identities: ['observe', 'create', 'update', 'delete'],
  grants: ['observe', 'create', 'update', 'delete'],
  usage: ['review'],
} as const satisfies { [P in Part]: readonly AsyncMethods<CloudProvider[P]>[] };

type Listed<P extends Part> = (typeof CONTRACT)[P][number];
type Complete = [AsyncMethods<CloudProvider['accounts']>] extends [Listed<'accounts'>]
  ? [AsyncMethods<CloudProvider['identities']>] extends [Listed<'identities'>]
    ? [AsyncMethods<CloudProvider['grants']>] extends [Listed<'grants'>]
      ? [AsyncMethods<CloudProvider['usage']>] extends [Listed<'usage'>]
        ? true
        : false
      : false
    : false
  : false;
type Assert<T extends true> = T;
/** Fails to compile when CONTRACT misses an asynchronous method of the contract. */
export type ContractIsComplete = Assert<Complete>;

/** `accounts.check`, `identities.observe`, `grants.delete` ... */
export type Operation = { [P in Part]: `${P}.${Listed<P>}` }[Part];

/**
 * Runs around one contract call: `args` are the call's arguments (the context first, then the
 * request), `next` makes the call on the wrapped provider.
 */
export type Around = (
  operation: Operation,
  args: readonly unknown[],
  next: () => Promise<unknown>,
) => Promise<unknown>;

/** The synchronous, SDK-free parts of a provider: they run before any call, so they are never deferred. */
export interface PureParts {
  validate: IdentityValidator['validate'];
  resolve: GrantResolver['resolve'];
}

type Method = (...args: unknown[]) => Promise<unknown>;

/**
 * A registry that hands out `wrap(provider)` for each provider `registry` hands out, wrapping each
 * one once (a registry keeps one provider per account until its spec changes).
 */
export function wrapEachProvider(
  registry: ProviderRegistry,
  wrap: (provider: CloudProvider) => CloudProvider,
): ProviderRegistry {
  const wrapped = new WeakMap<CloudProvider, CloudProvider>();
  return {
    forAccount(account) {
      const provider = registry.forAccount(account);
      let outer = wrapped.get(provider);
      if (!outer) {
        outer = wrap(provider);
        wrapped.set(provider, outer);
      }
      return outer;
    },
  };
}

const direct: Around = (_operation, _args, next) => next();

/**
 * A provider whose every asynchronous method calls the same method of `target()` through
 * `around`: the one wrapper behind deferred loading, unavailable clouds and instrumentation.
 */
export function wrapProvider(
  name: CloudProvider['name'],
  pure: PureParts,
  target: () => CloudProvider | Promise<CloudProvider>,
  around: Around = direct,
): CloudProvider {
  const part = (which: Part): Record<string, Method> =>
    Object.fromEntries(
      CONTRACT[which].map((method) => [
        method,
        (...args: unknown[]) =>
          around(`${which}.${method}` as Operation, args, async () => {
            const inner = (await target())[which] as unknown as Record<string, Method>;
            return (inner[method] as Method).apply(inner, args);
          }),
      ]),
    );
  return {
    name,
    accounts: part('accounts') as unknown as CloudProvider['accounts'],
    identities: { ...part('identities'), validate: pure.validate } as unknown as CloudProvider['identities'],
    grants: { ...part('grants'), resolve: pure.resolve } as unknown as CloudProvider['grants'],
    usage: part('usage') as unknown as CloudProvider['usage'],
  };
}

/** `provider` with every contract call made through `around`; its pure parts are its own. */
export function wrapCalls(provider: CloudProvider, around: Around): CloudProvider {
  return wrapProvider(
    provider.name,
    { validate: provider.identities.validate, resolve: provider.grants.resolve },
    () => provider,
    around,
  );
}

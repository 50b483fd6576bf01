import type { Context } from '../../runtime/context.js';
import type { ProviderRegistry } from '../provider.js';
import { type Around, wrapCalls, wrapEachProvider } from './wrap.js';

/**
 * Wraps every provider a registry hands out so each contract call waits for a turn at its
 * context's `cloudCalls` gate, when the context carries one: a controller's bound on the calls its
 * reconciles have in a cloud at once, whatever else those reconciles are doing.
 */
export function gateRegistry(registry: ProviderRegistry): ProviderRegistry {
  return wrapEachProvider(registry, (provider) => wrapCalls(provider, throughGate));
}

const throughGate: Around = (_operation, args, next) => {
  const context = args[0] as Context;
  return context.cloudCalls ? context.cloudCalls.run(context.signal, next) : next();
};

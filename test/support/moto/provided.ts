/** What the integration global setup found out about moto, provided to test files under `MOTO_KEY`. */
import { findCachedMoto } from './cache.js';
import { type EnsureMotoOptions, ensureMoto, HOW_TO_ENABLE_MOTO, MotoUnavailableError } from './install.js';

export const MOTO_KEY = 'keylessMoto';

/** Serializable (it crosses from the global setup to the test workers). */
export type MotoAvailability =
  | { readonly kind: 'installed'; readonly python: string; readonly version: string }
  | { readonly kind: 'unavailable'; readonly reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    keylessMoto: MotoAvailability;
  }
}

/** Installs moto when needed; `unavailable` only when Python, venv or pip is missing (a failing install throws). */
export async function resolveMoto(options: EnsureMotoOptions = {}): Promise<MotoAvailability> {
  try {
    const { python, version } = await ensureMoto(options);
    return { kind: 'installed', python, version };
  } catch (error) {
    if (error instanceof MotoUnavailableError) return { kind: 'unavailable', reason: error.message };
    throw error;
  }
}

/** Without the global setup: the cached install only (test files never install, so they never race). */
export function cachedMotoAvailability(): MotoAvailability {
  const cached = findCachedMoto();
  if (cached) return { kind: 'installed', ...cached };
  return {
    kind: 'unavailable',
    reason:
      'moto is not installed and the global setup test/integration/setup/moto.ts (which installs it) did not run; ' +
      HOW_TO_ENABLE_MOTO,
  };
}

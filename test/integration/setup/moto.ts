/**
 * Vitest global setup for the integration project: installs moto (the AWS emulator) into the cache
 * once per run, before any test file starts, and provides where it is to test files
 * (see test/support/moto/index.ts). A no-op taking about 0.3 s when it is cached.
 */
import type { TestProject } from 'vitest/node';
import { MOTO_KEY, resolveMoto } from '../../support/moto/provided.js';

export default async function setup(project: TestProject): Promise<void> {
  const availability = await resolveMoto();
  if (availability.kind === 'unavailable') {
    if (process.env.CI === 'true') {
      throw new Error(`${availability.reason} (with CI=true this fails instead of skipping)`);
    }
    console.warn(`[moto] skipping tests that need AWS (moto): ${availability.reason.split('\n')[0]}`);
  }
  project.provide(MOTO_KEY, availability);
}

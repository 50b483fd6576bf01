/**
 * Test-file helpers for moto, the AWS emulator.
 *
 *   describeWithMoto('IAM roles', (moto) => {
 *     it('...', async () => {
 *       const iam = new IAMClient(awsClientConfig(moto().endpoint));
 *     });
 *   }, { enforceIam: true });
 *
 * moto is installed once per run by the integration global setup (test/integration/setup/moto.ts).
 * Suites skip when Python is missing, except with CI=true, where they fail.
 */
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { cachedMotoAvailability, MOTO_KEY, type MotoAvailability } from './provided.js';
import { type Moto, type StartMotoOptions, startMoto } from './server.js';

export {
  awsClientConfig,
  bootstrapAdmin,
  MOTO_ACCOUNT_ID,
  MOTO_REGION,
  type MotoCredentials,
  signedStsClient,
  TEST_CREDENTIALS,
} from './aws.js';
export { MOTO_REQUIREMENTS, MOTO_VERSION, motoCacheRoot } from './cache.js';
export {
  type EnsureMotoOptions,
  ensureMoto,
  HOW_TO_ENABLE_MOTO,
  type MotoInstall,
  MotoUnavailableError,
} from './install.js';
export { MOTO_KEY, type MotoAvailability, resolveMoto } from './provided.js';
export { BOOTSTRAP_ACTION_COUNT, type Moto, type StartMotoOptions, startMoto } from './server.js';

export type UseMotoOptions = Omit<StartMotoOptions, 'python'>;

/** What the global setup provided, or the cached install when it did not run. */
export function motoAvailability(): MotoAvailability {
  return (inject(MOTO_KEY) as MotoAvailability | undefined) ?? cachedMotoAvailability();
}

/** True when suites needing moto should skip (never under CI=true: there they fail). */
export function shouldSkipMotoTests(availability: MotoAvailability = motoAvailability()): boolean {
  return availability.kind === 'unavailable' && process.env.CI !== 'true';
}

/**
 * Registers beforeAll/afterAll hooks in the current suite that start a moto server and stop it;
 * returns an accessor to call inside tests and hooks.
 */
export function useMoto(options: UseMotoOptions = {}): () => Moto {
  let moto: Moto | undefined;
  beforeAll(async () => {
    const availability = motoAvailability();
    if (availability.kind === 'unavailable') throw new Error(availability.reason);
    moto = await startMoto({ ...options, python: availability.python });
  });
  afterAll(async () => {
    await moto?.stop();
  });
  return () => {
    if (!moto) throw new Error('moto is not running: use it inside tests or hooks');
    return moto;
  };
}

/** A suite with its own moto server, skipped (or failed under CI=true) when moto is unavailable. */
export function describeWithMoto(
  name: string,
  body: (moto: () => Moto) => void,
  options: UseMotoOptions = {},
): void {
  describe.skipIf(shouldSkipMotoTests())(name, () => {
    body(useMoto(options));
  });
}

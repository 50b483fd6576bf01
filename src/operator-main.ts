import { ConfigError, loadConfig, USAGE } from './config.js';
import { createLogger } from './observability/logger.js';
import { runOperatorProcess } from './process-lifecycle.js';

/** Wiring only: config, logger, signals, run. Started by main.ts. */
async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`keyless: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const shutdown = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      shutdown.abort();
    });
  }
  let outcome: Awaited<ReturnType<typeof runOperatorProcess>>;
  try {
    outcome = await runOperatorProcess({ config, logger, signal: shutdown.signal });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`keyless: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (outcome === 'shutdown-timed-out') {
    // Calls that ignored their abort may still be in flight; ending the process ends them.
    logger.flush();
    process.exit(1);
  }
  return outcome === 'stopped' ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`keyless: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);

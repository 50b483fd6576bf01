import { type LevelWithSilent, type Logger, pino } from 'pino';

/** JSON lines on stdout, one logger for the process; reconciles get children with their key. */
export function createLogger(level: LevelWithSilent): Logger {
  return pino({
    level,
    base: { component: 'keyless' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

import { pino } from 'pino';
import { type Clock, realClock } from '../../src/runtime/clock.js';
import { backgroundContext, type Context } from '../../src/runtime/context.js';

/** A context for calling providers directly in tests: silent, no deadline, aborted only by `signal`. */
export function testContext(clock: Clock = realClock, signal?: AbortSignal): Context {
  const context = backgroundContext(pino({ level: 'silent' }), clock);
  return signal ? { ...context, signal } : context;
}

import { describe, expect, it } from 'vitest';
import { asError, retryAfterMsOf, TerminalError, terminalErrorIn } from '../../../src/runtime/errors.js';
import { isResourceExpired } from '../../../src/runtime/resource-expired.js';

describe('TerminalError', () => {
  it('is found directly and through a cause chain', () => {
    const terminal = new TerminalError('InvalidSpec', 'grant resource is not an ARN');
    expect(terminalErrorIn(terminal)).toBe(terminal);
    expect(terminalErrorIn(new Error('outer', { cause: new Error('middle', { cause: terminal }) }))).toBe(
      terminal,
    );
    expect(terminalErrorIn(new Error('plain'))).toBeUndefined();
    expect(terminal.reason).toBe('InvalidSpec');
    expect(terminal.name).toBe('TerminalError');
  });

  it('survives a cyclic cause chain', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(terminalErrorIn(a)).toBeUndefined();
    expect(retryAfterMsOf(a)).toBeUndefined();
  });
});

describe('retryAfterMsOf', () => {
  it('reads retryAfterMs from the error or its causes, ignoring nonsense', () => {
    expect(retryAfterMsOf(Object.assign(new Error('429'), { retryAfterMs: 2000 }))).toBe(2000);
    expect(retryAfterMsOf(new Error('x', { cause: { retryAfterMs: 5 } }))).toBe(5);
    expect(retryAfterMsOf(Object.assign(new Error('429'), { retryAfterMs: Number.NaN }))).toBeUndefined();
    expect(retryAfterMsOf(Object.assign(new Error('429'), { retryAfterMs: -1 }))).toBeUndefined();
    expect(retryAfterMsOf('string')).toBeUndefined();
  });
});

describe('asError', () => {
  it('keeps Errors and wraps anything else', () => {
    const err = new Error('x');
    expect(asError(err)).toBe(err);
    expect(asError('boom')).toMatchObject({ message: 'non-Error thrown: boom', cause: 'boom' });
  });
});

describe('isResourceExpired', () => {
  it('recognises every way a 410 arrives, and nothing else', () => {
    expect(isResourceExpired(Object.assign(new Error('Gone'), { statusCode: 410 }))).toBe(true);
    expect(isResourceExpired({ code: 410, body: '' })).toBe(true);
    expect(isResourceExpired({ kind: 'Status', code: 410, reason: 'Expired' })).toBe(true);
    expect(isResourceExpired({ statusCode: 500, body: { kind: 'Status', code: 410 } })).toBe(true);
    expect(isResourceExpired(Object.assign(new Error('Internal'), { statusCode: 500 }))).toBe(false);
    expect(isResourceExpired({ code: 'ECONNRESET' })).toBe(false);
    expect(isResourceExpired(undefined)).toBe(false);
    expect(isResourceExpired('410')).toBe(false);
  });
});

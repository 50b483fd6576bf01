import { describe, expect, it } from 'vitest';
import { asError, ClassifiedError, classificationOf, terminal } from '../../../src/runtime/errors.js';
import { isResourceExpired } from '../../../src/runtime/resource-expired.js';

describe('ClassifiedError', () => {
  it('is found directly and through a cause chain, outermost first', () => {
    const inner = terminal('InvalidSpec', 'grant resource is not an ARN');
    const outer = new ClassifiedError('the deadline passed', {
      kind: 'retryable',
      reason: 'Timeout',
      cause: inner,
    });
    expect(classificationOf(inner)).toBe(inner);
    expect(classificationOf(new Error('outer', { cause: new Error('middle', { cause: inner }) }))).toBe(
      inner,
    );
    expect(classificationOf(outer)).toBe(outer);
    expect(classificationOf(new Error('plain'))).toBeUndefined();
    expect(inner).toMatchObject({ name: 'ClassifiedError', kind: 'terminal', reason: 'InvalidSpec' });
  });

  it('survives a cyclic cause chain', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(classificationOf(a)).toBeUndefined();
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

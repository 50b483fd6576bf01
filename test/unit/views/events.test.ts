import { describe, expect, it } from 'vitest';
import { eventFromKube, type RawEvent } from '../../../src/views/events.js';

describe('eventFromKube', () => {
  const cases: [string, RawEvent, ReturnType<typeof eventFromKube>][] = [
    [
      'events.k8s.io/v1 as the operator writes it',
      {
        eventTime: '2026-03-01T10:00:00.000000Z',
        reason: 'Created',
        note: 'created role keyless-shop-a',
        type: 'Normal',
        regarding: { kind: 'WorkloadIdentity', name: 'a', namespace: 'shop', uid: 'u1' },
      },
      {
        regarding: { kind: 'WorkloadIdentity', name: 'a', namespace: 'shop', uid: 'u1' },
        type: 'Normal',
        reason: 'Created',
        message: 'created role keyless-shop-a',
        time: '2026-03-01T10:00:00.000000Z',
        count: 1,
      },
    ],
    [
      'events.k8s.io/v1 with a series',
      {
        eventTime: '2026-03-01T10:00:00Z',
        series: { count: 4, lastObservedTime: '2026-03-01T10:05:00Z' },
        reason: 'Throttled',
        note: 'slow down',
        type: 'Warning',
        regarding: { kind: 'CloudAccount', name: 'aws-prod' },
      },
      {
        regarding: { kind: 'CloudAccount', name: 'aws-prod' },
        type: 'Warning',
        reason: 'Throttled',
        message: 'slow down',
        time: '2026-03-01T10:05:00Z',
        count: 4,
      },
    ],
    [
      'core/v1 as kubectl lists it',
      {
        involvedObject: { kind: 'IdentityBinding', name: 'b', namespace: 'shop', uid: 'u2' },
        reason: 'GuardrailViolation',
        message: 'refused',
        type: 'Warning',
        firstTimestamp: '2026-03-01T09:00:00Z',
        lastTimestamp: '2026-03-01T09:30:00Z',
        count: 3,
      },
      {
        regarding: { kind: 'IdentityBinding', name: 'b', namespace: 'shop', uid: 'u2' },
        type: 'Warning',
        reason: 'GuardrailViolation',
        message: 'refused',
        time: '2026-03-01T09:30:00Z',
        count: 3,
      },
    ],
    ['names no object', { reason: 'X', eventTime: '2026-03-01T09:00:00Z' }, undefined],
    ['has no time', { reason: 'X', regarding: { kind: 'WorkloadIdentity', name: 'a' } }, undefined],
    [
      'has an unreadable time',
      { reason: 'X', regarding: { kind: 'WorkloadIdentity', name: 'a' }, eventTime: 'yesterday' },
      undefined,
    ],
  ];
  it.each(cases)('%s', (_name, raw, want) => {
    expect(eventFromKube(raw)).toEqual(want);
  });
});

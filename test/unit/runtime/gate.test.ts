import { describe, expect, it } from 'vitest';
import { Gate } from '../../../src/runtime/gate.js';
import { flushPromises } from '../../support/fake-clock.js';

/** A call that runs until the test ends it. */
function held() {
  let end!: (value: string) => void;
  let started = false;
  const call = () => {
    started = true;
    return new Promise<string>((resolve) => {
      end = resolve;
    });
  };
  return {
    call,
    get started() {
      return started;
    },
    end: (value: string) => end(value),
  };
}

const open = () => new AbortController().signal;

describe('Gate', () => {
  it('runs at most its limit at once and lets the next waiter in, in arrival order, as each ends', async () => {
    const gate = new Gate(2);
    const calls = [held(), held(), held(), held()];
    const results = calls.map((c) => gate.run(open(), c.call));
    await flushPromises();
    expect(calls.map((c) => c.started)).toEqual([true, true, false, false]);
    expect([gate.inFlight, gate.queued]).toEqual([2, 2]);

    calls[1]?.end('b');
    await flushPromises();
    expect(calls.map((c) => c.started)).toEqual([true, true, true, false]);
    calls[0]?.end('a');
    await flushPromises();
    expect(calls.map((c) => c.started)).toEqual([true, true, true, true]);
    calls[2]?.end('c');
    calls[3]?.end('d');
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
    expect([gate.inFlight, gate.queued]).toEqual([0, 0]);
  });

  it('gives the turn back when a call fails, and passes the failure on', async () => {
    const gate = new Gate(1);
    const failing = gate.run(open(), () => Promise.reject(new Error('denied')));
    const next = held();
    const after = gate.run(open(), next.call);
    await expect(failing).rejects.toThrow('denied');
    await flushPromises();
    expect(next.started).toBe(true);
    next.end('ran');
    expect(await after).toBe('ran');
  });

  it('a waiter whose signal aborts leaves the line with its reason, and the one behind it moves up', async () => {
    const gate = new Gate(1);
    const first = held();
    const running = gate.run(open(), first.call);
    const abandoned = new AbortController();
    const never = held();
    const leaving = gate.run(abandoned.signal, never.call);
    const last = held();
    const waiting = gate.run(open(), last.call);
    await flushPromises();
    expect(gate.queued).toBe(2);

    abandoned.abort(new Error('the reconcile did not finish within its deadline'));
    await expect(leaving).rejects.toThrow('deadline');
    expect(gate.queued).toBe(1);
    first.end('first');
    await running;
    await flushPromises();
    expect([never.started, last.started]).toEqual([false, true]);
    last.end('last');
    expect(await waiting).toBe('last');
    expect(gate.inFlight).toBe(0);
  });

  it('tells how many calls wait each time that number changes: on joining, on being let in, on leaving', async () => {
    const told: number[] = [];
    const gate = new Gate(1, (waiting) => told.push(waiting));
    const first = held();
    const running = gate.run(open(), first.call);
    const second = held();
    const next = gate.run(open(), second.call);
    const abandoned = new AbortController();
    const leaving = gate.run(abandoned.signal, held().call);
    await flushPromises();
    abandoned.abort(new Error('deadline'));
    await expect(leaving).rejects.toThrow('deadline');
    first.end('a');
    await running;
    await flushPromises();
    second.end('b');
    await next;
    expect(told).toEqual([1, 2, 1, 0]);
  });

  it('does not start a call whose signal has already aborted', async () => {
    const gate = new Gate(1);
    const signal = AbortSignal.abort(new Error('shutting down'));
    const call = held();
    await expect(gate.run(signal, call.call)).rejects.toThrow('shutting down');
    expect([call.started, gate.inFlight]).toEqual([false, 0]);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a limit of %s', (limit) => {
    expect(() => new Gate(limit)).toThrow(/positive integer/);
  });
});

import { describe, expect, it } from 'vitest';
import { settleAll } from '../../../src/runtime/settle.js';

const later = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
const failLater = (ms: number, message: string) =>
  new Promise<never>((_, reject) => setTimeout(() => reject(new Error(message)), ms));

describe('settleAll', () => {
  it('returns every value in argument order, whatever order they settle in', async () => {
    await expect(settleAll([later(20, 'slow'), later(1, 2), undefined])).resolves.toEqual([
      'slow',
      2,
      undefined,
    ]);
  });

  it('waits for the others before throwing a failure', async () => {
    let finished = false;
    const slow = later(30, 'done').then((v) => {
      finished = true;
      return v;
    });
    await expect(settleAll([failLater(1, 'read failed'), slow])).rejects.toThrow('read failed');
    expect(finished).toBe(true);
  });

  it('throws the first failure in argument order, not in time', async () => {
    await expect(settleAll([failLater(30, 'first'), failLater(1, 'second')])).rejects.toThrow('first');
  });
});

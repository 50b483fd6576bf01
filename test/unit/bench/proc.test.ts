import { describe, expect, it } from 'vitest';
import { countsSince } from '../../../bench/proc.js';

describe('countsSince', () => {
  it('keeps only the counts that grew, by how much', () => {
    expect(countsSince({ GET: 14, PATCH: 3, WATCH: 3 }, { GET: 12, PATCH: 3 })).toEqual({ GET: 2, WATCH: 3 });
    expect(countsSince({}, {})).toEqual({});
  });

  it('ignores a count that fell (a reset between the two readings is not new work)', () => {
    expect(countsSince({ GET: 1 }, { GET: 5 })).toEqual({});
  });
});

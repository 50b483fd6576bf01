import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { truncateUtf8 } from '../../../src/cluster/event-recorder.js';

describe('truncateUtf8', () => {
  it('keeps text within the limit as it is', () => {
    expect(truncateUtf8('short', 1024)).toBe('short');
    expect(truncateUtf8('é'.repeat(512), 1024)).toBe('é'.repeat(512));
  });

  it('cuts on a character boundary, within the limit in bytes, and marks the cut', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 400 }),
        fc.integer({ min: 3, max: 300 }),
        (text, limit) => {
          const cut = truncateUtf8(text, limit);
          expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(limit);
          if (Buffer.byteLength(text) <= limit) {
            expect(cut).toBe(text);
            return;
          }
          expect(cut.endsWith('…')).toBe(true);
          expect(text.startsWith(cut.slice(0, -1))).toBe(true);
          expect(cut.includes('\ufffd') && !text.includes('\ufffd')).toBe(false);
        },
      ),
    );
  });

  it('never splits a four-byte character', () => {
    expect(truncateUtf8('😀'.repeat(10), 10)).toBe('😀…');
  });
});

import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { driftLines } from '../../../src/cli/render/drift.js';
import { lineDiff, valueLines, withContext } from '../../../src/cli/render/line-diff.js';
import { styleFor } from '../../../src/cli/render/style.js';
import { cut, renderTable } from '../../../src/cli/render/table.js';
import { ago, duration, relative } from '../../../src/cli/render/time.js';
import { proseWithCommands, wrap } from '../../../src/cli/render/wrap.js';

const plain = styleFor(false);
const colour = styleFor(true);

describe('tables', () => {
  const headers = ['NAME', 'STATE', 'DETAIL'];
  const rows = [
    [
      { text: 'wi/orders-api' },
      { text: 'Ready', tone: 'good' as const },
      { text: 'arn:aws:iam::123456789012:role/x' },
    ],
    [{ text: 'ib/orders-admin' }, { text: 'Stalled', tone: 'bad' as const }, { text: 'grant 0\nis refused' }],
  ];

  it('pads each column to its widest cell, three spaces apart, one line per row', () => {
    expect(renderTable(headers, rows, plain, undefined)).toBe(
      [
        'NAME              STATE     DETAIL',
        'wi/orders-api     Ready     arn:aws:iam::123456789012:role/x',
        'ib/orders-admin   Stalled   grant 0 is refused',
      ].join('\n'),
    );
  });

  it('colours cells without moving the columns', () => {
    const coloured = renderTable(headers, rows, colour, undefined);
    expect(coloured).toContain('\u001b[31mStalled\u001b[39m');
    expect(stripVTControlCharacters(coloured)).toBe(renderTable(headers, rows, plain, undefined));
  });

  it('fits a terminal: the last column is cut with an ellipsis, droppable columns go first', () => {
    const fitted = renderTable(headers, rows, plain, 60, [1]);
    expect(fitted.split('\n')).toEqual([
      'NAME              DETAIL',
      'wi/orders-api     arn:aws:iam::123456789012:role/x',
      'ib/orders-admin   grant 0 is refused',
    ]);
    const cutShort = renderTable(headers, rows, plain, 40);
    expect(cutShort.split('\n')[1]).toBe('wi/orders-api     Ready     arn:aws:iam…');
    expect(cut('abcdef', 4)).toBe('abc…');
    expect(cut('abc', 4)).toBe('abc');
  });
});

describe('diffs of drifted values', () => {
  it('marks what the cloud holds with - and what the spec wants with +, removals first', () => {
    expect(lineDiff(['a', 'b', 'c'], ['a', 'x', 'c'])).toEqual([
      { op: ' ', text: 'a' },
      { op: '-', text: 'b' },
      { op: '+', text: 'x' },
      { op: ' ', text: 'c' },
    ]);
  });

  it('pretty-prints JSON values and leaves out unchanged lines far from a change', () => {
    const found = JSON.stringify({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9 });
    const wanted = JSON.stringify({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 10 });
    expect(valueLines(found)).toHaveLength(11);
    const shown = withContext(lineDiff(valueLines(found), valueLines(wanted)), 2);
    expect(shown.map((l) => `${l.op}${l.text}`)).toEqual([
      '…',
      '   "g": 7,',
      '   "h": 8,',
      '-  "i": 9',
      '+  "i": 10',
      ' }',
    ]);
  });

  it('renders each field under its name', () => {
    expect(driftLines([{ field: 'tags[team]', wanted: 'shop', found: 'ops' }], plain, '  ')).toEqual([
      '  ~ tags[team]',
      '  -   ops',
      '  +   shop',
    ]);
  });
});

describe('times and words', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');

  it('writes ages as kubectl does', () => {
    expect(ago('2026-03-01T11:59:15Z', now)).toBe('45s');
    expect(ago('2026-03-01T11:48:00Z', now)).toBe('12m');
    expect(ago('2026-03-01T06:30:00Z', now)).toBe('5h30m');
    expect(ago('2026-02-26T12:00:00Z', now)).toBe('3d');
    expect(ago(undefined, now)).toBe('-');
    expect(relative('2026-03-01T15:00:00Z', now)).toBe('in 3h');
    expect(relative('2026-03-01T11:00:00Z', now)).toBe('60m ago');
    expect(relative('2026-03-01T14:59:59.600Z', now)).toBe('in 3h');
    expect(duration(9 * 3_600_000 + 30 * 60_000)).toBe('9h30m');
    expect(duration(0)).toBe('0s');
  });

  it('wraps prose, and keeps each command on a line of its own', () => {
    expect(wrap('one two three four', 30, '  ')).toEqual(['  one two three four']);
    expect(wrap('aaaa bbbb cccc dddd eeee ffff', 22, '')).toEqual(['aaaa bbbb cccc dddd', 'eeee ffff']);
    expect(
      proseWithCommands('Then run: `kubectl keyless extend ib/x -n shop --by 2h` and wait.', 80, '  '),
    ).toEqual(['  Then run:', '      kubectl keyless extend ib/x -n shop --by 2h', '  and wait.']);
  });
});

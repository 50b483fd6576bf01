import type { Style, Tone } from './style.js';

export interface Cell {
  text: string;
  tone?: Tone;
}

const GAP = 3;
/** Below this many characters for the last column, droppable columns go first. */
const LAST_COLUMN_ROOM = 40;

/**
 * A kubectl-style table: upper-case headers, columns padded to their widest cell, three spaces
 * between. With `columns` (a terminal's width), the columns in `droppable` are left out, in that
 * order, while the last column would get too little room, and the last column is cut with an
 * ellipsis to fit.
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  style: Style,
  columns: number | undefined,
  droppable: readonly number[] = [],
): string {
  if (columns !== undefined) {
    for (const drop of droppable) {
      if (roomForLast(headers, rows, columns) >= LAST_COLUMN_ROOM) break;
      const keep = (_: unknown, i: number) => i !== drop;
      const rest = droppable.filter((d) => d !== drop).map((d) => (d > drop ? d - 1 : d));
      return renderTable(
        headers.filter(keep),
        rows.map((row) => row.filter(keep)),
        style,
        columns,
        rest,
      );
    }
  }
  const all: Cell[][] = [headers.map((text) => ({ text })), ...rows.map((row) => [...row])];
  const clean = all.map((row) => row.map((cell) => ({ ...cell, text: oneLine(cell.text) })));
  const widths = headers.map((_, i) => Math.max(...clean.map((row) => width(row[i]?.text ?? ''))));
  const last = headers.length - 1;
  const fixed = widths.slice(0, last).reduce((sum, w) => sum + w + GAP, 0);
  const room = columns === undefined ? undefined : Math.max(columns - fixed, 12);
  return clean
    .map((row) =>
      row
        .map((cell, i) => {
          const text = i === last && room !== undefined ? cut(cell.text, room) : cell.text;
          const padded = i === last ? text : text + ' '.repeat((widths[i] ?? 0) - width(text) + GAP);
          return style.paint(cell.tone, text) + padded.slice(text.length);
        })
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

function roomForLast(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  columns: number,
): number {
  const widths = headers.map((h, i) =>
    Math.max(width(h), ...rows.map((row) => width(oneLine(row[i]?.text ?? '')))),
  );
  return columns - widths.slice(0, -1).reduce((sum, w) => sum + w + GAP, 0);
}

/** A value on one line: newlines and runs of spaces become one space. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Text cut to `room` characters, ending with an ellipsis when something was cut. */
export function cut(text: string, room: number): string {
  const chars = [...text];
  return chars.length <= room ? text : `${chars.slice(0, Math.max(room - 1, 0)).join('')}…`;
}

function width(text: string): number {
  return [...text].length;
}

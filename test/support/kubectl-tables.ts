/** kubectl's human-readable output (`kubectl get`), read back as tables. */

export interface Table {
  readonly columns: readonly string[];
  /** Each row's cells by column name; an empty cell is ''. */
  readonly rows: readonly Record<string, string>[];
}

/**
 * One table per block (`kubectl get a,b` prints one per kind, separated by a blank line). Cells are
 * cut where the header's columns start, as kubectl aligns them, so empty cells stay in place.
 */
export function parseTables(output: string): Table[] {
  return output
    .split(/\n\s*\n/)
    .map((block) => block.split('\n').filter((line) => line.trim() !== ''))
    .filter((lines) => lines.length > 0)
    .map(([header = '', ...lines]) => {
      const columns = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0], start: m.index }));
      const rows = lines.map((line) =>
        Object.fromEntries(
          columns.map((column, i) => [column.name, line.slice(column.start, columns[i + 1]?.start).trim()]),
        ),
      );
      return { columns: columns.map((c) => c.name), rows };
    });
}

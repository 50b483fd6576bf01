export type DiffLine = { op: ' ' | '-' | '+'; text: string };

/** The lines of `before` and `after` as a unified diff would mark them (longest common subsequence). */
export function lineDiff(before: readonly string[], after: readonly string[]): DiffLine[] {
  const n = before.length;
  const m = after.length;
  // common(i, j): the length of the longest common subsequence of before[i..] and after[j..].
  const table = new Array<number>((n + 1) * (m + 1)).fill(0);
  const common = (i: number, j: number) => table[i * (m + 1) + j] ?? 0;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * (m + 1) + j] =
        before[i] === after[j] ? common(i + 1, j + 1) + 1 : Math.max(common(i + 1, j), common(i, j + 1));
    }
  }
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    const left = before[i];
    const right = after[j];
    if (left !== undefined && left === right) {
      lines.push({ op: ' ', text: left });
      i++;
      j++;
    } else if (left !== undefined && (right === undefined || common(i + 1, j) >= common(i, j + 1))) {
      lines.push({ op: '-', text: left });
      i++;
    } else {
      lines.push({ op: '+', text: right ?? '' });
      j++;
    }
  }
  return lines;
}

/** A value as lines: JSON objects and arrays pretty-printed (policies, member lists), anything else as is. */
export function valueLines(value: string): string[] {
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed === 'object' && parsed !== null) return JSON.stringify(parsed, null, 2).split('\n');
  } catch {
    // Not JSON: a tag value, an ARN, a duration.
  }
  return value.split('\n');
}

/** A gap in a diff: unchanged lines left out, as `@@` hunks leave them out. */
export type DiffHunkLine = DiffLine | { op: '…'; text: string };

/** The diff with unchanged lines more than `context` away from a change left out. */
export function withContext(lines: readonly DiffLine[], context = 3): DiffHunkLine[] {
  const near = lines.map((_, i) =>
    lines.slice(Math.max(0, i - context), i + context + 1).some((l) => l.op !== ' '),
  );
  const shown: DiffHunkLine[] = [];
  lines.forEach((line, i) => {
    if (near[i]) shown.push(line);
    else if (shown.at(-1)?.op !== '…') shown.push({ op: '…', text: '' });
  });
  return shown;
}

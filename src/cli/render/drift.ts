import type { Drift } from '../../api/index.js';
import { lineDiff, valueLines, withContext } from './line-diff.js';
import type { Style } from './style.js';

export const DRIFT_LEGEND = '-: found in the cloud, +: what the spec wants';

/** Each drifted field as a small unified diff from what the cloud holds to what the spec wants. */
export function driftLines(drift: readonly Drift[], style: Style, indent = ''): string[] {
  const lines: string[] = [];
  for (const field of drift) {
    lines.push(`${indent}~ ${field.field}`);
    for (const line of withContext(lineDiff(valueLines(field.found), valueLines(field.wanted)))) {
      if (line.op === '…') lines.push(`${indent}    …`);
      else {
        const tone = line.op === '+' ? 'added' : line.op === '-' ? 'removed' : undefined;
        lines.push(style.paint(tone, `${indent}${line.op}   ${line.text}`));
      }
    }
  }
  return lines;
}

import { stringify } from 'yaml';
import type { OutputFormat } from '../options.js';

/** A command's result for scripts: JSON (two-space indent) or YAML, with a final newline. */
export function structured(format: Exclude<OutputFormat, 'text'>, value: unknown): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value, { lineWidth: 0 });
}

/**
 * The metric names a PromQL expression selects, for checking a dashboard's and the alerts' queries
 * against what the operator exposes. promtool checks that an expression parses; this only finds
 * its selectors: what is left of the expression once strings, label matchers, ranges, grouping
 * label lists, numbers and durations are taken out, minus keywords and function names (an
 * identifier followed by `(`).
 */

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'atan2',
  'inf',
  'nan',
]);

const STRING = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;
const GROUPING = /\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi;
const TOKEN = /(\d[\w.]*)|([a-zA-Z_:][\w:]*)/g;

/** Every metric name `expr` selects, once each, in order of appearance. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(STRING, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(GROUPING, ' ');
  const names: string[] = [];
  for (const match of stripped.matchAll(TOKEN)) {
    const name = match[2];
    if (name === undefined || KEYWORDS.has(name.toLowerCase())) continue;
    const after = stripped.slice((match.index ?? 0) + name.length).trimStart();
    if (after.startsWith('(')) continue;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

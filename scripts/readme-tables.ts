import { fileURLToPath } from 'node:url';
import { PROVIDERS } from '../src/api/index.js';
import {
  ESCALATION_RULES,
  type EscalationRule,
  OPAQUE_ROLE_RULES,
  SCOPE_WORDS,
} from '../src/policy/escalation-rules.js';
import { chartValuesTable } from './manifests/values-table.js';
import { renderReasonsTables } from './reasons-table.js';

export const README_PATH = fileURLToPath(new URL('../README.md', import.meta.url));

/** A table of the README written from data, between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`. */
export interface GeneratedTable {
  name: string;
  render(): string;
}

const CLOUD_NAMES = { aws: 'AWS', gcp: 'Google Cloud', azure: 'Azure' } as const;

function appliesTo(rule: EscalationRule): string {
  if (rule.match === 'contains') return 'a grant of every action';
  const where = SCOPE_WORDS[rule.scope ?? 'anywhere'];
  if (rule.cloud === 'aws')
    return where ? `any grant that could allow it, ${where}` : 'any grant that could allow it';
  if (rule.carriedBy) {
    const roles = [rule.carriedBy.slice(0, -1).join(', '), rule.carriedBy.at(-1)].filter(Boolean);
    return `${roles.join(' or ')} ${where || 'anywhere'}`;
  }
  return where || 'anywhere';
}

function escalationRulesTable(): string {
  const rows = PROVIDERS.flatMap((cloud) => [
    ...ESCALATION_RULES.filter((rule) => rule.cloud === cloud).map(
      (rule) => `| ${CLOUD_NAMES[cloud]} | \`${rule.refuses}\` | ${appliesTo(rule)} | ${rule.why} |`,
    ),
    ...OPAQUE_ROLE_RULES.filter((rule) => rule.cloud === cloud).map(
      (rule) =>
        `| ${CLOUD_NAMES[cloud]} | ${rule.allowedAs} | ${rule.when} | Keyless cannot see what it grants, and it ${rule.why} |`,
    ),
  ]);
  return [
    '| cloud | refused (the name `allowEscalation` takes) | when | why it widens access |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

export const README_TABLES: readonly GeneratedTable[] = [
  { name: 'reasons', render: renderReasonsTables },
  { name: 'escalation-rules', render: escalationRulesTable },
  { name: 'chart-values', render: chartValuesTable },
];

/** The README with every generated table rewritten from its data. */
export function renderReadme(readme: string): string {
  let text = readme;
  const missing: string[] = [];
  for (const table of README_TABLES) {
    const begin = `<!-- generated:${table.name} (npm run generate) -->\n`;
    const end = `\n<!-- /generated:${table.name} -->`;
    const from = text.indexOf(begin);
    const to = text.indexOf(end, from);
    if (from < 0 || to < 0) missing.push(`${begin.trim()} … ${end.trim()}`);
    else text = text.slice(0, from + begin.length) + table.render() + text.slice(to);
  }
  if (missing.length > 0) throw new Error(`README.md has no ${missing.join(', no ')} block`);
  return text;
}

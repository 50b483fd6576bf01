import { Document, isScalar, visit } from 'yaml';
import { DEFAULT_VALUES, VALUES_SCHEMA } from './chart-values.js';
import { valueAt } from './template.js';

interface SchemaNode {
  type?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
}

/** A default as one line of YAML, in backticks. */
function shown(value: unknown): string {
  if (value === undefined) return '(required)';
  const document = new Document(value);
  visit(document, {
    Map(_, map) {
      map.flow = true;
    },
    Seq(_, seq) {
      seq.flow = true;
    },
  });
  const text =
    isScalar(document.contents) && value === ''
      ? '""'
      : document.toString({ lineWidth: 0, flowCollectionPadding: false }).trim();
  return `\`${text}\``;
}

/**
 * One row per value; an object of settings (image, leaderElection, …) is one row listing its
 * settings, and an object with a single setting (identity.aws) is that setting's row.
 */
function rows(schema: SchemaNode, prefix: string): string[] {
  return Object.entries(schema.properties ?? {}).flatMap(([name, child]) => {
    const path = `${prefix}${name}`;
    const children = Object.entries(child.properties ?? {});
    if (children.length === 1) return rows(child, `${path}.`);
    if (children.length > 1 && children.some(([, grandchild]) => grandchild.properties)) {
      return rows(child, `${path}.`);
    }
    const defaults = valueAt(DEFAULT_VALUES, path);
    const shownDefault =
      children.length > 0
        ? children.map(([key]) => `${key}: ${shown(valueAt(DEFAULT_VALUES, `${path}.${key}`))}`).join(', ')
        : shown(defaults);
    return [`| \`${path}\` | ${shownDefault} | ${child.description ?? ''} |`];
  });
}

/** The README's table of the chart's values, from values.schema.json's source and the defaults. */
export function chartValuesTable(): string {
  return [
    '| value | default | what it sets |',
    '| --- | --- | --- |',
    ...rows(VALUES_SCHEMA as SchemaNode, ''),
  ].join('\n');
}

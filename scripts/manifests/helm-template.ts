import { stringify } from 'yaml';
import {
  type Condition,
  type Expr,
  isDynamic,
  isExpr,
  presence,
  type Scalar,
  type Template,
  type TemplateMap,
} from './template.js';

/**
 * Emits a template as Helm template text. Every line that depends on values is a Go template action
 * on a line of its own (`{{- if … }}`, `{{- with … }}`, `{{- toYaml … | nindent N }}`), or an inline
 * `{{ … | toJson }}`, whose output is valid YAML whatever the value's type.
 */
export function emitHelmDocument(object: TemplateMap, condition?: Condition, comment = ''): string {
  const body = [...(comment ? comment.trimEnd().split('\n') : []), ...mapEntries(object, 0)];
  const lines = condition ? guarded([condition], body, 0) : body;
  return `${lines.join('\n')}\n`;
}

const pad = (indent: number): string => ' '.repeat(indent);

function scalar(value: Scalar): string {
  if (typeof value === 'string' && value.includes('{{')) {
    throw new Error(`a literal string would be read as a Helm template: ${JSON.stringify(value)}`);
  }
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

function inline(node: Expr): string {
  return `{{ ${node.helm} | toJson }}`;
}

/** Wraps lines in `{{- if … }}` unless the chart always has them; none when it never does. */
function guarded(conditions: readonly Condition[], lines: string[], indent: number): string[] {
  if (conditions.some((c) => c.helm === true)) return lines;
  const pipelines = conditions.flatMap((c) => (typeof c.helm === 'string' ? [c.helm] : []));
  if (pipelines.length === 0) return [];
  const test = pipelines.length === 1 ? pipelines[0] : `or ${pipelines.map((p) => `(${p})`).join(' ')}`;
  return [`${pad(indent)}{{- if ${test} }}`, ...lines, `${pad(indent)}{{- end }}`];
}

function withPresence(node: Template, indent: number, lines: (inner: Template) => string[]): string[] {
  const inner = isDynamic(node) && node.kind === 'when' ? node.then : node;
  const when = presence(node);
  return when === 'always' ? lines(inner) : guarded(when, lines(inner), indent);
}

function blockOf(node: Expr, indent: number): string[] {
  return [`${pad(indent)}{{- ${node.helm} | toYaml | nindent ${indent} }}`];
}

function spread(node: Expr, indent: number): string[] {
  return [
    `${pad(indent)}{{- with ${node.helm} }}`,
    `${pad(indent)}{{- toYaml . | nindent ${indent} }}`,
    `${pad(indent)}{{- end }}`,
  ];
}

function mapEntries(map: TemplateMap, indent: number): string[] {
  return Object.entries(map).flatMap(([key, child]) =>
    withPresence(child, indent, (inner) => keyed(scalar(key), inner, indent)),
  );
}

function keyed(key: string, node: Template, indent: number): string[] {
  const head = `${pad(indent)}${key}:`;
  if (node === null || typeof node !== 'object') return [`${head} ${scalar(node)}`];
  if (Array.isArray(node)) {
    if (node.every((item) => item === null || typeof item !== 'object')) {
      return [`${head} [${node.map((item) => scalar(item as Scalar)).join(', ')}]`];
    }
    return [head, ...listItems(node, indent + 2)];
  }
  if (!isDynamic(node)) {
    const entries = Object.keys(node);
    return entries.length === 0 ? [`${head} {}`] : [head, ...mapEntries(node as TemplateMap, indent + 2)];
  }
  switch (node.kind) {
    case 'expr':
      return node.block ? [head, ...blockOf(node, indent + 2)] : [`${head} ${inline(node)}`];
    case 'merge':
      return [
        head,
        ...node.parts.flatMap((part) =>
          isExpr(part) ? spread(part, indent + 2) : mapEntries(part as TemplateMap, indent + 2),
        ),
      ];
    case 'concat':
      return [
        head,
        ...node.parts.flatMap((part) =>
          isExpr(part) ? spread(part, indent + 2) : listItems(part as readonly Template[], indent + 2),
        ),
      ];
    case 'when':
      throw new Error('a condition inside a condition: nest the condition in the value instead');
  }
}

function listItems(items: readonly Template[], indent: number): string[] {
  return items.flatMap((item) => withPresence(item, indent, (inner) => listItem(inner, indent)));
}

function listItem(node: Template, indent: number): string[] {
  const dash = `${pad(indent)}-`;
  if (node === null || typeof node !== 'object') return [`${dash} ${scalar(node)}`];
  if (isExpr(node)) return node.block ? [dash, ...blockOf(node, indent + 2)] : [`${dash} ${inline(node)}`];
  if (isDynamic(node)) throw new Error(`a ${node.kind} node cannot stand as a list item: wrap it in a map`);
  const body = Array.isArray(node)
    ? listItems(node, indent + 2)
    : mapEntries(node as TemplateMap, indent + 2);
  const [first, ...rest] = body;
  // `- key: value` on one line when the item's first line is a plain entry, as YAML is usually written.
  if (first !== undefined && !first.trimStart().startsWith('{{')) {
    return [`${dash} ${first.slice(indent + 2)}`, ...rest];
  }
  return [dash, ...body];
}

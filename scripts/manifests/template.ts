/**
 * A manifest template: YAML-shaped data in which some nodes depend on the chart's values. One
 * template is rendered two ways: evaluated for given values (the Kustomize base in deploy/, and the
 * model of what `helm template` prints that the tests compare helm with), and emitted as Helm
 * template text (charts/keyless/templates/, see helm-template.ts).
 */

export type Template = Scalar | readonly Template[] | TemplateMap | Dynamic;
export type Scalar = string | number | boolean | null;
export interface TemplateMap {
  readonly [key: string]: Template;
}

/** What a template is evaluated against: the release as Helm sees it, or the Kustomize base. */
export interface RenderContext {
  readonly target: 'chart' | 'kustomize';
  readonly values: Readonly<Record<string, unknown>>;
  readonly release: { readonly name: string; readonly namespace: string };
  readonly chart: { readonly name: string; readonly version: string; readonly appVersion: string };
}

/** A value computed from the context; in Helm, a pipeline (`.Values.replicas`, `.Release.Namespace`). */
export interface Expr {
  readonly kind: 'expr';
  readonly helm: string;
  /** true: emitted as an indented YAML block (`toYaml | nindent`), for maps and lists. */
  readonly block: boolean;
  evaluate(context: RenderContext): unknown;
}

/**
 * Whether a part is rendered. `helm` is a pipeline whose truth (Go template truth: false, 0, nil,
 * empty string, map or list are false) decides, or a boolean when the chart always or never has it.
 */
export interface Condition {
  readonly helm: string | boolean;
  holds(context: RenderContext): boolean;
}

/** A map entry or list item present only when the condition holds. */
export interface When {
  readonly kind: 'when';
  readonly condition: Condition;
  readonly then: Template;
}

/** A map made of literal maps and map-valued expressions; absent when every part is empty. */
export interface Merge {
  readonly kind: 'merge';
  readonly parts: readonly (TemplateMap | Expr)[];
}

/** A list made of literal lists and list-valued expressions; absent when every part is empty. */
export interface Concat {
  readonly kind: 'concat';
  readonly parts: readonly (readonly Template[] | Expr)[];
}

export type Dynamic = Expr | When | Merge | Concat;

const DYNAMIC_KINDS = new Set(['expr', 'when', 'merge', 'concat']);

export function isDynamic(node: Template): node is Dynamic {
  return (
    typeof node === 'object' &&
    node !== null &&
    !Array.isArray(node) &&
    DYNAMIC_KINDS.has((node as { kind?: unknown }).kind as string)
  );
}

export function isExpr(node: unknown): node is Expr {
  return typeof node === 'object' && node !== null && (node as { kind?: unknown }).kind === 'expr';
}

/** The value at a dotted path of the values, e.g. `image.repository`. */
export function valueAt(values: Readonly<Record<string, unknown>>, path: string): unknown {
  let node: unknown = values;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Go template truth, as `if` and `with` judge a value. */
export function truthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** A value, inline (scalars); `.Values.PATH` in Helm, where a missing value renders as null. */
export function value(path: string): Expr {
  return {
    kind: 'expr',
    helm: `.Values.${path}`,
    block: false,
    evaluate: (context) => valueAt(context.values, path) ?? null,
  };
}

/** A map or list value, as an indented block; `.Values.PATH | toYaml` in Helm. */
export function block(path: string): Expr {
  return { ...value(path), block: true };
}

/** A value as a string, as environment variables take it (`true`, `4`, `60s`). */
export function text(path: string): Expr {
  return {
    kind: 'expr',
    helm: `.Values.${path} | toString`,
    block: false,
    evaluate: (context) => String(valueAt(context.values, path)),
  };
}

export function expr(helm: string, evaluate: (context: RenderContext) => unknown, block = false): Expr {
  return { kind: 'expr', helm, block, evaluate };
}

/** True when the value at the path is set (Go template truth). */
export function isSet(path: string): Condition {
  return { helm: `.Values.${path}`, holds: (context) => truthy(valueAt(context.values, path)) };
}

export const inChartOnly: Condition = { helm: true, holds: (context) => context.target === 'chart' };
export const inKustomizeOnly: Condition = { helm: false, holds: (context) => context.target === 'kustomize' };

export function when(condition: Condition, then: Template): When {
  return { kind: 'when', condition, then };
}

export function merge(...parts: (TemplateMap | Expr)[]): Merge {
  return { kind: 'merge', parts };
}

export function concat(...parts: (readonly Template[] | Expr)[]): Concat {
  return { kind: 'concat', parts };
}

/**
 * When a node is present in its map or list: 'always', or only when one of these conditions holds
 * (a map-valued expression inside a merge counts as its own truth).
 */
export function presence(node: Template): 'always' | Condition[] {
  if (!isDynamic(node)) return 'always';
  switch (node.kind) {
    case 'expr':
      return 'always';
    case 'when':
      return [node.condition];
    case 'merge':
    case 'concat': {
      const conditions: Condition[] = [];
      for (const part of node.parts) {
        if (isExpr(part)) conditions.push({ helm: part.helm, holds: (c) => truthy(part.evaluate(c)) });
        else {
          const items: Template[] = Array.isArray(part) ? [...part] : Object.values(part);
          for (const item of items) {
            const itemPresence = presence(item);
            if (itemPresence === 'always') return 'always';
            conditions.push(...itemPresence);
          }
        }
      }
      return conditions;
    }
  }
}

function present(node: Template, context: RenderContext): boolean {
  const p = presence(node);
  return p === 'always' || p.some((condition) => condition.holds(context));
}

/** The plain data a template stands for in this context, without the parts that are absent. */
export function evaluate(node: Template, context: RenderContext): unknown {
  if (node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) {
    return node.filter((item) => present(item, context)).map((item) => evaluate(item, context));
  }
  if (!isDynamic(node)) {
    return Object.fromEntries(
      Object.entries(node as TemplateMap)
        .filter(([, child]) => present(child, context))
        .map(([key, child]) => [key, evaluate(child, context)]),
    );
  }
  switch (node.kind) {
    case 'expr':
      return node.evaluate(context);
    case 'when':
      return evaluate(node.then, context);
    case 'merge':
      return Object.assign({}, ...node.parts.map((part) => evaluate(part, context)));
    case 'concat':
      return node.parts.flatMap((part) => evaluate(part, context) as unknown[]);
  }
}

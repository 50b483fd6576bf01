import { evaluate } from '@marcbachmann/cel-js';

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  minimum?: number;
  default?: unknown;
  'x-kubernetes-validations'?: { rule: string; message: string; fieldPath?: string }[];
};

export interface FieldError {
  path: string;
  message: string;
}

/**
 * Validates an object the way the API server does for a structural CRD schema: defaults, then
 * types and bounds, then CEL rules. It exists so unit tests catch schema mistakes without a cluster;
 * the integration tests repeat the same table against a real kube-apiserver.
 */
export function validateAgainstCrd(crd: unknown, object: Record<string, unknown>): FieldError[] {
  const root = (crd as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } }).spec.versions[0]
    ?.schema.openAPIV3Schema;
  if (!root) throw new Error('CRD has no schema');
  const copy = structuredClone(object);
  applyDefaults(root, copy);
  const errors: FieldError[] = [];
  for (const field of ['spec', 'status'] as const) {
    const schema = root.properties?.[field];
    if (schema && copy[field] !== undefined) check(schema, copy[field], field, errors);
  }
  if (copy.spec === undefined) errors.push({ path: 'spec', message: 'Required value' });
  return errors;
}

function applyDefaults(schema: Schema, value: unknown): void {
  if (schema.type === 'object' && isRecord(value)) {
    for (const [name, child] of Object.entries(schema.properties ?? {})) {
      if (value[name] === undefined && child.default !== undefined)
        value[name] = structuredClone(child.default);
      if (value[name] !== undefined) applyDefaults(child, value[name]);
    }
  } else if (schema.type === 'array' && Array.isArray(value) && schema.items) {
    for (const item of value) applyDefaults(schema.items, item);
  }
}

function check(schema: Schema, value: unknown, path: string, errors: FieldError[]): void {
  const before = errors.length;
  switch (schema.type) {
    case 'object':
      if (!isRecord(value)) return void errors.push({ path, message: 'must be an object' });
      for (const name of schema.required ?? []) {
        if (value[name] === undefined) errors.push({ path: `${path}.${name}`, message: 'Required value' });
      }
      if (schema.maxProperties !== undefined && Object.keys(value).length > schema.maxProperties) {
        errors.push({ path, message: `must have at most ${schema.maxProperties} properties` });
      }
      for (const [name, child] of Object.entries(value)) {
        const childSchema = schema.properties?.[name] ?? schema.additionalProperties;
        if (!childSchema) {
          errors.push({ path: `${path}.${name}`, message: 'unknown field' });
          continue;
        }
        check(childSchema, child, `${path}.${name}`, errors);
      }
      break;
    case 'array':
      if (!Array.isArray(value)) return void errors.push({ path, message: 'must be an array' });
      if (schema.minItems !== undefined && value.length < schema.minItems) {
        errors.push({ path, message: `should have at least ${schema.minItems} items` });
      }
      if (schema.maxItems !== undefined && value.length > schema.maxItems) {
        errors.push({ path, message: `must have at most ${schema.maxItems} items` });
      }
      value.forEach((item, i) => {
        if (schema.items) check(schema.items, item, `${path}[${i}]`, errors);
      });
      break;
    case 'string':
      if (typeof value !== 'string') return void errors.push({ path, message: 'must be a string' });
      checkString(schema, value, path, errors);
      break;
    case 'integer':
      if (!Number.isInteger(value)) return void errors.push({ path, message: 'must be an integer' });
      if (schema.minimum !== undefined && (value as number) < schema.minimum) {
        errors.push({ path, message: `must be at least ${schema.minimum}` });
      }
      break;
    case 'boolean':
      if (typeof value !== 'boolean') errors.push({ path, message: 'must be a boolean' });
      break;
  }
  if (errors.length > before) return;
  for (const { rule, message, fieldPath } of schema['x-kubernetes-validations'] ?? []) {
    if (evaluate(rule, { self: value }) !== true) errors.push({ path: `${path}${fieldPath ?? ''}`, message });
  }
}

function checkString(schema: Schema, value: string, path: string, errors: FieldError[]): void {
  if (schema.enum && !schema.enum.includes(value)) {
    errors.push({ path, message: `Unsupported value: supported values: ${schema.enum.join(', ')}` });
  }
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    errors.push({ path, message: `must be at least ${schema.minLength} characters` });
  }
  if (schema.maxLength !== undefined && value.length > schema.maxLength) {
    errors.push({ path, message: `must be at most ${schema.maxLength} characters` });
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
    errors.push({ path, message: `should match '${schema.pattern}'` });
  }
  if (schema.format === 'date-time' && !(RFC3339.test(value) && Number.isFinite(Date.parse(value)))) {
    errors.push({ path, message: `${path} in body must be of type date-time` });
  }
}

/** As the API server reads the date-time format: RFC 3339, with a time zone. */
const RFC3339 =
  /^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

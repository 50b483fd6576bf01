import { type TSchema, type TUnsafe, Type } from '@sinclair/typebox';

/** A CEL rule checked by the API server (`x-kubernetes-validations`). */
export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** A string enum rendered as `{type: string, enum: [...]}`, which structural CRD schemas require. */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { description?: string; default?: T[number] } = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** Go-style duration as accepted by Kubernetes APIs: 90s, 15m, 1h30m. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';

export function Duration(description: string, extra: { default?: string } = {}) {
  return Type.String({ pattern: DURATION_PATTERN, description, ...extra });
}

export function withRules<T extends TSchema>(schema: T, rules: CelRule[]): T {
  return { ...schema, 'x-kubernetes-validations': rules };
}

export function StringMap(description: string, options: { maxProperties?: number } = {}) {
  return Type.Record(Type.String(), Type.String({ maxLength: 256 }), { description, ...options });
}

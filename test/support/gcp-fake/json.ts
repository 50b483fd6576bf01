/**
 * Reading request bodies the way Google's JSON mapping of protobuf does: field names in lowerCamelCase
 * or snake_case, unknown fields rejected (`Invalid JSON payload received. Unknown name "x" at 'y':
 * Cannot find field.`), values of the wrong type rejected. Every failure is a 400 INVALID_ARGUMENT.
 */
import { invalidArgument } from './errors.js';

export type JsonObject = Record<string, unknown>;

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, char: string) => char.toUpperCase());
const snake = (name: string): string => name.replace(/[A-Z]/g, (char) => `_${char.toLowerCase()}`);

/** `policy.bindings[0]` as Google names it in messages: snake_case. */
const at = (where: string): string => (where ? ` at '${snake(where)}'` : '');

export function parseJsonBody(text: string): JsonObject {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalidArgument(`Invalid JSON payload received. ${(error as Error).message}`);
  }
  return asObject(value, '');
}

export function asObject(value: unknown, where: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(`Invalid JSON payload received. Expected an object${at(where)}.`);
  }
  return value as JsonObject;
}

/**
 * The object at `where` with its keys in lowerCamelCase, refusing any key not in `allowed` (given in
 * lowerCamelCase). `undefined` and `null` read as an empty object.
 */
export function fields(value: unknown, where: string, allowed: readonly string[]): JsonObject {
  if (value === undefined || value === null) return {};
  const input = asObject(value, where);
  const result: JsonObject = {};
  for (const [key, item] of Object.entries(input)) {
    const name = camel(key);
    if (!allowed.includes(name)) {
      throw invalidArgument(
        `Invalid JSON payload received. Unknown name "${key}"${at(where)}: Cannot find field.`,
      );
    }
    if (name in result)
      throw invalidArgument(`Invalid JSON payload received. Field "${key}"${at(where)} is set twice.`);
    result[name] = item;
  }
  return result;
}

const path = (where: string, key: string): string => (where ? `${where}.${key}` : key);

function invalidValue(where: string, type: string, value: unknown): never {
  throw invalidArgument(`Invalid value at '${snake(where)}' (${type}), ${JSON.stringify(value)}`);
}

export function optionalString(object: JsonObject, key: string, where: string): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') invalidValue(path(where, key), 'TYPE_STRING', value);
  return value;
}

export function stringList(object: JsonObject, key: string, where: string): string[] {
  const value = object[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) invalidValue(path(where, key), 'TYPE_STRING', value);
  return value.map((item, index) => {
    if (typeof item !== 'string') invalidValue(`${path(where, key)}[${index}]`, 'TYPE_STRING', item);
    return item;
  });
}

export function objectList(object: JsonObject, key: string, where: string): unknown[] {
  const value = object[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) invalidValue(path(where, key), 'TYPE_MESSAGE', value);
  return value;
}

/** An int32 field; the JSON mapping also accepts it as a decimal string. */
export function optionalInteger(object: JsonObject, key: string, where: string): number | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number))
    invalidValue(path(where, key), 'TYPE_INT32', value);
  return number;
}

export function stringMap(object: JsonObject, key: string, where: string): Record<string, string> {
  const value = object[key];
  if (value === undefined || value === null) return {};
  const map = asObject(value, path(where, key));
  for (const [name, item] of Object.entries(map)) {
    if (typeof item !== 'string') invalidValue(`${path(where, key)}[${name}]`, 'TYPE_STRING', item);
  }
  return { ...(map as Record<string, string>) };
}

/** A FieldMask in the JSON mapping: one string, paths separated by commas (lowerCamelCase or snake_case). */
export function fieldMask(object: JsonObject, key: string, where: string): string[] | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') invalidValue(path(where, key), 'TYPE_STRING', value);
  return value
    .split(',')
    .map((item) => camel(item.trim()))
    .filter((item) => item !== '');
}

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

/** Kubernetes object names (DNS-1123 subdomains) and namespace names (DNS-1123 labels). */
export const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/**
 * An IAM action (`service:Action`, with `*` and `?` as wildcards) or `*`: the CRD refuses others and
 * the AWS provider checks with it too. Written without backslashes, so it can sit in a CEL string literal.
 */
export const IAM_ACTION_PATTERN = '^([*]|[A-Za-z0-9-]+:[A-Za-z0-9*?]+)$';

/**
 * Azure resource IDs (`/subscriptions/...`) and Google Cloud resource names (`//SERVICE/...`) are
 * read by the cloud as URL paths, so only their canonical spelling says what it means: these rules
 * refuse the rest at apply time (Keyless's guardrails refuse them again before any cloud call).
 */
const URL_PATH_IDENTIFIER = "(self.startsWith('/subscriptions/') || self.startsWith('//'))";
const IDENTIFIERS = 'an Azure resource ID or a Google Cloud resource name';
export const CANONICAL_PATH_RULES: CelRule[] = [
  {
    rule: `!${URL_PATH_IDENTIFIER} || self.matches('^/?(/[^/]+)+$')`,
    message: `${IDENTIFIERS} has no empty segment (//) and does not end with /`,
  },
  {
    rule: `!${URL_PATH_IDENTIFIER} || !self.matches('/[.][.]?(/|$)')`,
    message: `${IDENTIFIERS} has no . or .. segment: the HTTP client resolves them (.. steps up to the parent), so the cloud would read another scope`,
  },
  {
    // The regex is [%?#\\\x00-\x1f\x7f], its backslashes doubled for the CEL string literal.
    rule: String.raw`!${URL_PATH_IDENTIFIER} || !self.matches('[%?#\\\\\\x00-\\x1f\\x7f]')`,
    message: `${IDENTIFIERS} holds no %, ?, #, backslash or control character: the cloud decodes percent-escapes (%2e%2e reads as .., %2F as a slash), a backslash travels as a slash, and ? or # ends the path`,
  },
];

/** Azure resource group names: up to 90 letters, digits and -._(), not ending with a period. */
export const AZURE_RESOURCE_GROUP_PATTERN = '^[-\\w._()]{0,89}[-\\w()]$';

/** An App Service site (a Function App): `/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Web/sites/NAME`. */
export const AZURE_SITE_ID_PATTERN =
  '^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\\w._()]{1,90}/providers/Microsoft\\.Web/sites/[A-Za-z0-9-]{1,60}$';

/** Go-style duration as accepted by Kubernetes APIs: 90s, 15m, 1h30m. */
export const DURATION_PATTERN = '^([0-9]+([.][0-9]+)?(ms|s|m|h))+$';

/** How long a temporary grant (a binding's duration, an account's maxGrantDuration) may last. */
export const GRANT_DURATION = { min: '1m', max: '8760h' } as const;

export interface DurationField {
  /** How messages name the field, e.g. maxSessionDuration. */
  field: string;
  /** The shortest and longest duration allowed, as durations: 1h, 12h. */
  min: string;
  max: string;
  /** Why the range is what it is, appended to the message. */
  why?: string;
  description: string;
  default?: string;
}

/**
 * A duration field: the pattern, and a CEL rule that parses the value (`duration(self)`) and checks
 * its range, so `kubectl apply` refuses it with a message naming the field and the range. A value
 * that is not a duration at all gets the pattern's message only.
 */
export function Duration(options: DurationField) {
  const { field, min, max, why } = options;
  return withRules(
    Type.String({
      pattern: DURATION_PATTERN,
      maxLength: 32,
      description: options.description,
      ...(options.default !== undefined ? { default: options.default } : {}),
    }),
    [
      {
        rule: `!self.matches('${DURATION_PATTERN}') || (duration(self) >= duration('${min}') && duration(self) <= duration('${max}'))`,
        message: `${field} must be a duration from ${min} to ${max}${why ? ` (${why})` : ''}`,
      },
    ],
  );
}

/** A shared schema with the description of the field it is used for. */
export function described<T extends TSchema>(schema: T, description: string): T {
  return { ...schema, description };
}

export function withRules<T extends TSchema>(schema: T, rules: CelRule[]): T {
  return { ...schema, 'x-kubernetes-validations': rules };
}

export function StringMap(description: string, options: { maxProperties?: number } = {}) {
  return Type.Record(Type.String(), Type.String({ maxLength: 256 }), { description, ...options });
}

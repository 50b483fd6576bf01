import type { Drift } from '../../api/index.js';
import { canonicalJson } from '../shared/drift.js';

export type StringOrList = string | string[];

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: StringOrList;
  NotAction?: StringOrList;
  Resource?: StringOrList;
  NotResource?: StringOrList;
  Principal?: Record<string, StringOrList> | '*';
  Condition?: Record<string, Record<string, StringOrList>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Statement[];
}

const LIST_FIELDS = ['Action', 'NotAction', 'Resource', 'NotResource'] as const;

/** IAM returns policy documents URL-encoded; anything else passes as JSON. */
export function parsePolicyDocument(text: string): PolicyDocument {
  const decoded = text.trimStart().startsWith('{') ? text : decodeURIComponent(text);
  const parsed = JSON.parse(decoded) as PolicyDocument & { Statement: Statement | Statement[] };
  return { ...parsed, Statement: Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement] };
}

/**
 * The canonical form two equivalent documents share: a single string equals a one-element list,
 * lists are sets (sorted, unique), statements are ordered by Sid then content.
 */
export function normalizePolicy(document: PolicyDocument): PolicyDocument {
  const statements = document.Statement.map(normalizeStatement);
  statements.sort(
    (a, b) => (a.Sid ?? '').localeCompare(b.Sid ?? '') || canonicalJson(a).localeCompare(canonicalJson(b)),
  );
  return { Version: document.Version, Statement: statements };
}

function normalizeStatement(statement: Statement): Statement {
  const out: Statement = { ...statement };
  for (const field of LIST_FIELDS) {
    const value = statement[field];
    if (value !== undefined) out[field] = asSet(value);
  }
  if (statement.Principal && statement.Principal !== '*') {
    out.Principal = Object.fromEntries(Object.entries(statement.Principal).map(([k, v]) => [k, asSet(v)]));
  }
  if (statement.Condition) {
    out.Condition = Object.fromEntries(
      Object.entries(statement.Condition).map(([operator, keys]) => [
        operator,
        Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, asSet(v)])),
      ]),
    );
  }
  return out;
}

function asSet(value: StringOrList): string[] {
  return [...new Set(Array.isArray(value) ? value : [value])].map(String).sort();
}

export function samePolicy(a: PolicyDocument, b: PolicyDocument): boolean {
  return canonicalJson(normalizePolicy(a)) === canonicalJson(normalizePolicy(b));
}

/** Statement-by-statement differences, named `FIELD.Statement[SID]`. */
export function policyDrift(
  field: string,
  wanted: PolicyDocument,
  found: PolicyDocument | undefined,
): Drift[] {
  if (!found) return [{ field, wanted: canonicalJson(normalizePolicy(wanted)), found: 'absent' }];
  const keyed = (doc: PolicyDocument) =>
    new Map(normalizePolicy(doc).Statement.map((s, i) => [s.Sid ?? `#${i}`, canonicalJson(s)]));
  const w = keyed(wanted);
  const f = keyed(found);
  const drift: Drift[] = [];
  for (const sid of [...new Set([...w.keys(), ...f.keys()])].sort()) {
    const want = w.get(sid);
    const have = f.get(sid);
    if (want !== have)
      drift.push({ field: `${field}.Statement[${sid}]`, wanted: want ?? 'absent', found: have ?? 'absent' });
  }
  return drift;
}

/** The size IAM counts against its limits: the document without whitespace. */
export function policySize(document: PolicyDocument): number {
  return JSON.stringify(document).length;
}

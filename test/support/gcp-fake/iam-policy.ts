/**
 * Allow policies (`google.iam.v1.Policy`), the same for a project (Resource Manager v3) and a service
 * account (IAM v1): validation, Google's canonical form, versions and conditions, etags and update
 * masks. Pure functions over plain data; the store keeps one `StoredPolicy` per resource.
 */
import { createHash } from 'node:crypto';
import { aborted, invalidArgument } from './errors.js';
import { EMPTY_POLICY_ETAG, newEtag } from './ids.js';
import {
  fieldMask,
  fields,
  type JsonObject,
  objectList,
  optionalInteger,
  optionalString,
  stringList,
} from './json.js';

export interface IamCondition {
  readonly title: string;
  readonly description?: string;
  readonly expression: string;
  readonly location?: string;
}

export interface IamBinding {
  readonly role: string;
  readonly members: readonly string[];
  readonly condition?: IamCondition;
}

export type AuditLogType = 'LOG_TYPE_UNSPECIFIED' | 'ADMIN_READ' | 'DATA_WRITE' | 'DATA_READ';

export interface AuditConfig {
  readonly service: string;
  readonly auditLogConfigs: readonly {
    readonly logType: AuditLogType;
    readonly exemptedMembers?: readonly string[];
  }[];
}

/** A policy as the fake keeps it; its version follows from its bindings. */
export interface StoredPolicy {
  readonly etag: string;
  readonly bindings: readonly IamBinding[];
  readonly auditConfigs: readonly AuditConfig[];
}

/** A policy as read (version 3, conditions included), for tests. */
export interface IamPolicy extends StoredPolicy {
  readonly version: number;
}

/** What a caller may write: the test API takes this (no etag or version needed). */
export interface IamPolicyInput {
  readonly version?: number;
  readonly etag?: string;
  readonly bindings?: readonly IamBinding[];
  readonly auditConfigs?: readonly AuditConfig[];
}

export const EMPTY_POLICY: StoredPolicy = { etag: EMPTY_POLICY_ETAG, bindings: [], auditConfigs: [] };

/** Google's limit on principals in one allow policy (each occurrence counts). */
export const MAX_MEMBERS = 1500;

const VALID_VERSIONS = [0, 1, 3];
const LOG_TYPES: readonly AuditLogType[] = ['LOG_TYPE_UNSPECIFIED', 'ADMIN_READ', 'DATA_WRITE', 'DATA_READ'];
const MEMBER_TYPES = [
  'user',
  'serviceAccount',
  'group',
  'domain',
  'projectOwner',
  'projectEditor',
  'projectViewer',
];
const ROLE = /^(?:roles|(?:projects|organizations)\/[^/]+\/roles)\/[A-Za-z0-9_.]+$/;

// ---------------------------------------------------------------------------------------------
// Reading a policy from a request body

function parseCondition(value: unknown, where: string): IamCondition | undefined {
  if (value === undefined || value === null) return undefined;
  const condition = fields(value, where, ['title', 'description', 'expression', 'location']);
  const title = optionalString(condition, 'title', where) ?? '';
  const expression = optionalString(condition, 'expression', where) ?? '';
  const description = optionalString(condition, 'description', where);
  const location = optionalString(condition, 'location', where);
  return {
    title,
    expression,
    ...(description ? { description } : {}),
    ...(location ? { location } : {}),
  };
}

function parseLogType(value: unknown, where: string): AuditLogType {
  if (typeof value === 'number' && LOG_TYPES[value]) return LOG_TYPES[value];
  if (typeof value === 'string' && (LOG_TYPES as readonly string[]).includes(value))
    return value as AuditLogType;
  if (value === undefined || value === null) return 'LOG_TYPE_UNSPECIFIED';
  throw invalidArgument(
    `Invalid value at '${where}' (type.googleapis.com/google.iam.v1.AuditLogConfig.LogType), ${JSON.stringify(value)}`,
  );
}

function parseAuditConfigs(policy: JsonObject, where: string): AuditConfig[] {
  return objectList(policy, 'auditConfigs', where).map((item, index) => {
    const at = `${where}.auditConfigs[${index}]`;
    const config = fields(item, at, ['service', 'auditLogConfigs']);
    return {
      service: optionalString(config, 'service', at) ?? '',
      auditLogConfigs: objectList(config, 'auditLogConfigs', at).map((entry, entryIndex) => {
        const entryAt = `${at}.auditLogConfigs[${entryIndex}]`;
        const log = fields(entry, entryAt, ['logType', 'exemptedMembers']);
        const exemptedMembers = stringList(log, 'exemptedMembers', entryAt);
        return {
          logType: parseLogType(log.logType, `${entryAt}.logType`),
          ...(exemptedMembers.length > 0 ? { exemptedMembers } : {}),
        };
      }),
    };
  });
}

/** The `policy` of a setIamPolicy body, checked for shape only (see `validateBindings`). */
export function parsePolicy(value: unknown, where = 'policy'): IamPolicyInput {
  const policy = fields(value, where, ['version', 'etag', 'bindings', 'auditConfigs']);
  const bindings = objectList(policy, 'bindings', where).map((item, index) => {
    const at = `${where}.bindings[${index}]`;
    const binding = fields(item, at, ['role', 'members', 'condition']);
    const condition = parseCondition(binding.condition, `${at}.condition`);
    return {
      role: optionalString(binding, 'role', at) ?? '',
      members: stringList(binding, 'members', at),
      ...(condition ? { condition } : {}),
    };
  });
  const etag = optionalString(policy, 'etag', where);
  const version = optionalInteger(policy, 'version', where);
  return {
    bindings,
    auditConfigs: parseAuditConfigs(policy, where),
    ...(etag ? { etag } : {}),
    ...(version !== undefined ? { version } : {}),
  };
}

/**
 * `options.requestedPolicyVersion` of a getIamPolicy: in the query (how `@googleapis/iam` sends it)
 * or in the body (how the Resource Manager client does). 0 (absent), 1 or 3.
 */
export function requestedVersionOf(body: JsonObject, query: URLSearchParams): number {
  const request = fields(body, '', ['options']);
  const options = fields(request.options, 'options', ['requestedPolicyVersion']);
  const fromQuery = query.get('options.requestedPolicyVersion');
  if (fromQuery !== null && !/^-?\d+$/.test(fromQuery)) {
    throw invalidArgument(`Invalid value at 'options.requested_policy_version' (TYPE_INT32), "${fromQuery}"`);
  }
  const version =
    fromQuery !== null
      ? Number(fromQuery)
      : (optionalInteger(options, 'requestedPolicyVersion', 'options') ?? 0);
  if (!VALID_VERSIONS.includes(version)) {
    throw invalidArgument(`Invalid requested policy version ${version}: valid values are 0, 1 and 3.`);
  }
  return version;
}

// ---------------------------------------------------------------------------------------------
// Validation and canonical form

export interface MemberCheck {
  /**
   * For `serviceAccount:EMAIL` members: false when EMAIL is a service account of a project this fake
   * serves that does not exist (or is not visible yet); true or undefined otherwise.
   */
  serviceAccountExists(email: string): boolean | undefined;
}

function validMember(member: string): boolean {
  if (member === 'allUsers' || member === 'allAuthenticatedUsers') return true;
  const rest = member.startsWith('deleted:') ? member.slice('deleted:'.length) : member;
  if (/^principal(Set)?:\/\/\S+$/.test(rest)) return true;
  const colon = rest.indexOf(':');
  if (colon <= 0) return false;
  const type = rest.slice(0, colon);
  const value = rest.slice(colon + 1);
  if (!MEMBER_TYPES.includes(type) || value === '' || /\s/.test(value)) return false;
  if (type === 'user' || type === 'group') return value.includes('@');
  // A service account by email, or a Kubernetes ServiceAccount through GKE's pool: P.svc.id.goog[ns/name].
  if (type === 'serviceAccount')
    return value.includes('@') || /^[^[\]]+\.svc\.id\.goog\[[^/\]]+\/[^/\]]+\]$/.test(value);
  return true;
}

function checkCondition(condition: IamCondition, role: string): void {
  if (condition.title === '') throw invalidArgument(`The condition of the binding for ${role} has no title.`);
  if (condition.title.length > 100) {
    throw invalidArgument(`The condition title of the binding for ${role} is longer than 100 characters.`);
  }
  if (condition.expression.trim() === '') {
    throw invalidArgument(`The condition of the binding for ${role} has an empty expression.`);
  }
}

const conditionKey = (condition: IamCondition | undefined): string =>
  condition
    ? JSON.stringify([
        condition.title,
        condition.description ?? '',
        condition.expression,
        condition.location ?? '',
      ])
    : '';

/**
 * Checks every binding as IAM does and returns the policy's bindings in Google's canonical form:
 * bindings with the same role and condition merged, members deduplicated and sorted, bindings
 * without members dropped, sorted by role (unconditional first).
 */
export function canonicalBindings(bindings: readonly IamBinding[], check: MemberCheck): IamBinding[] {
  let members = 0;
  const merged = new Map<string, { role: string; condition?: IamCondition; members: Set<string> }>();
  for (const binding of bindings) {
    if (!ROLE.test(binding.role) || binding.role.includes('_withcond_')) {
      throw invalidArgument(`Role (${binding.role}) does not exist in the resource's hierarchy.`);
    }
    if (binding.condition) checkCondition(binding.condition, binding.role);
    for (const member of binding.members) {
      if (!validMember(member)) throw invalidArgument('Policy members must be of the form "<type>:<value>".');
      if (member.startsWith('serviceAccount:') && check.serviceAccountExists(member.slice(15)) === false) {
        throw invalidArgument(`Service account ${member.slice(15)} does not exist.`);
      }
      members++;
    }
    const key = `${binding.role}\n${conditionKey(binding.condition)}`;
    const entry = merged.get(key) ?? {
      role: binding.role,
      ...(binding.condition ? { condition: binding.condition } : {}),
      members: new Set<string>(),
    };
    for (const member of binding.members) entry.members.add(member);
    merged.set(key, entry);
  }
  if (members > MAX_MEMBERS) {
    throw invalidArgument(
      `The number of members in the policy (${members}) is larger than the maximum allowed size ${MAX_MEMBERS}.`,
    );
  }
  return [...merged.entries()]
    .filter(([, entry]) => entry.members.size > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, entry]) => ({
      role: entry.role,
      members: [...entry.members].sort(),
      ...(entry.condition ? { condition: entry.condition } : {}),
    }));
}

export const hasConditions = (bindings: readonly IamBinding[]): boolean =>
  bindings.some((binding) => binding.condition !== undefined);

// ---------------------------------------------------------------------------------------------
// setIamPolicy

const MASK_PATHS = ['bindings', 'etag', 'auditConfigs', 'version'];

export interface SetPolicyRequest {
  readonly policy: IamPolicyInput;
  /** Default, as Google's: `bindings,etag`. */
  readonly updateMask?: readonly string[];
}

/** Reads a setIamPolicy body: `{policy, updateMask?}`. */
export function parseSetPolicyRequest(body: JsonObject): SetPolicyRequest {
  const request = fields(body, '', ['policy', 'updateMask']);
  if (request.policy === undefined) throw invalidArgument('Request is missing the required field "policy".');
  const updateMask = fieldMask(request, 'updateMask', '');
  return { policy: parsePolicy(request.policy), ...(updateMask ? { updateMask } : {}) };
}

/**
 * The policy after a setIamPolicy, as IAM decides it:
 * - the etag is compared when the request has one (and the mask includes `etag`): a different one is
 *   409 ABORTED; without one, the request overwrites whatever is there (last writer wins);
 * - a policy with a conditional binding must say `version: 3`; so must a request with an etag on a
 *   policy that has conditions (without an etag, a version 1 policy may overwrite it, dropping them);
 * - only the fields in the update mask change (default `bindings,etag`: audit configs stay unless
 *   the mask names `auditConfigs`);
 * - every successful write gets a new etag.
 */
export function applySetPolicy(
  current: StoredPolicy,
  request: SetPolicyRequest,
  check: MemberCheck,
): StoredPolicy {
  const mask = request.updateMask ?? ['bindings', 'etag'];
  for (const path of mask) {
    if (!MASK_PATHS.includes(path)) throw invalidArgument(`Invalid update_mask path "${path}".`);
  }
  const input = request.policy;
  const version = input.version ?? 0;
  if (!VALID_VERSIONS.includes(version)) {
    throw invalidArgument(`Invalid policy version ${version}: valid values are 0, 1 and 3.`);
  }
  const etagChecked = mask.includes('etag') && input.etag !== undefined && input.etag !== '';
  if (etagChecked && input.etag !== current.etag) {
    throw aborted(
      'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff. ' +
        `The request's ETag '${input.etag}' did not match the current policy's ETag '${current.etag}'.`,
    );
  }
  const bindings = mask.includes('bindings')
    ? canonicalBindings(input.bindings ?? [], check)
    : current.bindings;
  if (version < 3 && hasConditions(bindings)) {
    throw invalidArgument(
      `A policy with conditional role bindings must specify version 3; this request specifies version ${version}.`,
    );
  }
  if (version < 3 && etagChecked && hasConditions(current.bindings)) {
    throw invalidArgument(
      `The current policy has conditional role bindings: changing it needs version 3; this request specifies version ${version}.`,
    );
  }
  const auditConfigs = mask.includes('auditConfigs') ? (input.auditConfigs ?? []) : current.auditConfigs;
  return { etag: newEtag(), bindings, auditConfigs };
}

// ---------------------------------------------------------------------------------------------
// getIamPolicy

/**
 * The hash IAM appends to the role of a conditional binding in a version 1 view
 * (`roles/x_withcond_2b17cc25d2cd9e2c54d8`): 20 hex digits, stable per condition.
 */
const withcondHash = (condition: IamCondition): string =>
  createHash('sha256').update(conditionKey(condition)).digest('hex').slice(0, 20);

/**
 * The policy as getIamPolicy returns it for `requestedPolicyVersion`. Version 3 shows conditions;
 * anything lower shows each conditional binding as role `ROLE_withcond_HASH` without its condition
 * and says version 1, as Google does (https://cloud.google.com/iam/docs/troubleshooting-withcond).
 * A policy without conditions is always version 1. Empty lists are left out, as Google's JSON does.
 */
export function readPolicy(stored: StoredPolicy, version: number): IamPolicy {
  const conditional = hasConditions(stored.bindings);
  const bindings =
    conditional && version < 3
      ? stored.bindings.map(({ role, members, condition }) =>
          condition ? { role: `${role}_withcond_${withcondHash(condition)}`, members } : { role, members },
        )
      : stored.bindings;
  return {
    version: conditional && version >= 3 ? 3 : 1,
    etag: stored.etag,
    bindings,
    auditConfigs: stored.auditConfigs,
  };
}

/** The JSON answer for a policy; `enumsAsInts` for clients that ask `$alt=json;enum-encoding=int`. */
export function policyJson(policy: IamPolicy, enumsAsInts: boolean): JsonObject {
  return {
    version: policy.version,
    etag: policy.etag,
    ...(policy.bindings.length > 0 ? { bindings: policy.bindings } : {}),
    ...(policy.auditConfigs.length > 0
      ? {
          auditConfigs: policy.auditConfigs.map((config) => ({
            service: config.service,
            auditLogConfigs: config.auditLogConfigs.map((log) => ({
              ...log,
              logType: enumsAsInts ? LOG_TYPES.indexOf(log.logType) : log.logType,
            })),
          })),
        }
      : {}),
  };
}

/**
 * After a service account is deleted, IAM shows its grants as
 * `deleted:serviceAccount:EMAIL?uid=UNIQUE_ID`; they no longer apply to anything (not even to a new
 * account with the same email). The etag does not change: nobody wrote the policy.
 */
export function markMemberDeleted(policy: StoredPolicy, email: string, uniqueId: string): StoredPolicy {
  const member = `serviceAccount:${email}`;
  if (!policy.bindings.some((binding) => binding.members.includes(member))) return policy;
  const replacement = `deleted:${member}?uid=${uniqueId}`;
  return {
    ...policy,
    bindings: policy.bindings.map((binding) => ({
      ...binding,
      members: binding.members.map((item) => (item === member ? replacement : item)).sort(),
    })),
  };
}

/**
 * Microsoft.Authorization: role assignments (GUID names, unique across the fake like across a tenant)
 * and the built-in role definitions. Synchronous: every method returns ARM JSON or throws an `ArmError`.
 */
import { BUILT_IN_ROLES, type BuiltInRole, type RolePermissions } from './built-in-roles.js';
import * as errors from './errors.js';
import type { Tenancy } from './tenancy.js';

export const ROLE_ASSIGNMENT_TYPE = 'Microsoft.Authorization/roleAssignments';
export const ROLE_DEFINITION_TYPE = 'Microsoft.Authorization/roleDefinitions';

export interface RoleAssignmentJson {
  readonly id: string;
  readonly name: string;
  readonly type: typeof ROLE_ASSIGNMENT_TYPE;
  readonly properties: {
    readonly roleDefinitionId: string;
    readonly principalId: string;
    readonly principalType: string;
    readonly scope: string;
    readonly description?: string;
    readonly condition?: string;
    readonly conditionVersion?: string;
    readonly createdOn: string;
    readonly updatedOn: string;
  };
}

export interface RoleDefinitionJson {
  readonly id: string;
  readonly name: string;
  readonly type: typeof ROLE_DEFINITION_TYPE;
  readonly properties: {
    readonly roleName: string;
    readonly description: string;
    readonly type: 'BuiltInRole';
    readonly permissions: readonly RolePermissions[];
    readonly assignableScopes: readonly string[];
  };
}

export interface AuthorizationOptions {
  /** Role assignments per subscription before `RoleAssignmentLimitExceeded`. Azure: 4000. */
  readonly roleAssignmentLimit: number;
  /**
   * Azure skips the directory lookup when the request sets `principalType`, which is how it advises
   * avoiding `PrincipalNotFound` right after creating a principal. False: always look the principal up.
   */
  readonly principalTypeSkipsLookup: boolean;
}

interface AssignmentState {
  readonly name: string;
  readonly scope: string;
  readonly subscriptionId: string;
  readonly roleId: string;
  readonly principalId: string;
  readonly principalType: string;
  description?: string;
  condition?: string;
  conditionVersion?: string;
  readonly createdOn: string;
  updatedOn: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLE_DEFINITION_ID =
  /^(?:\/subscriptions\/[^/]+)?\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i;

const lower = (value: string) => value.toLowerCase();

/** True when `outer` is `inner` or one of its ancestors (`/` contains everything). */
export function scopeContains(outer: string, inner: string): boolean {
  const a = lower(outer);
  const b = lower(inner);
  return a === '/' || a === b || b.startsWith(`${a}/`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const optionalString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** `/subscriptions/S/providers/...roleDefinitions/G` under a subscription, `/providers/...` at the root. */
export function roleDefinitionId(subscriptionId: string | undefined, roleId: string): string {
  const prefix = subscriptionId === undefined ? '' : `/subscriptions/${subscriptionId}`;
  return `${prefix}/providers/${ROLE_DEFINITION_TYPE}/${roleId}`;
}

/** `$filter` of a role assignment list: `atScope()`, `principalId eq '…'`, `assignedTo('…')`, joined by `and`. */
function parseAssignmentFilter(filter: string | null): { atScope: boolean; principalId?: string } {
  const result: { atScope: boolean; principalId?: string } = { atScope: false };
  if (filter === null || filter.trim() === '') return result;
  for (const clause of filter.split(/\s+and\s+/i)) {
    const term = clause.trim();
    const principal = /^(?:principalId\s+eq\s+'([^']+)'|assignedTo\('([^']+)'\))$/i.exec(term);
    if (/^atScope\(\)$/i.test(term)) result.atScope = true;
    else if (principal) result.principalId = principal[1] ?? principal[2];
    else {
      throw errors.unsupportedFilter(filter, "atScope(), principalId eq '{id}' and assignedTo('{id}')");
    }
  }
  return result;
}

/** `$filter` of a role definition list: `roleName eq '…'` or `type eq 'BuiltInRole'`. */
function parseDefinitionFilter(filter: string | null): (role: BuiltInRole) => boolean {
  if (filter === null || filter.trim() === '') return () => true;
  const roleName = /^\s*roleName\s+eq\s+'(.*)'\s*$/i.exec(filter);
  if (roleName) return (role) => lower(role.roleName) === lower(roleName[1] ?? '');
  const type = /^\s*type\s+eq\s+'(BuiltInRole|CustomRole)'\s*$/i.exec(filter);
  if (type) return () => lower(type[1] ?? '') === 'builtinrole';
  throw errors.unsupportedFilter(filter, "either roleName eq '{value}' or type eq 'BuiltInRole|CustomRole'");
}

export class Authorization {
  readonly #assignments = new Map<string, AssignmentState>();
  readonly #roles = new Map(BUILT_IN_ROLES.map((role) => [lower(role.id), role]));
  readonly #tenancy: Tenancy;
  readonly #now: () => number;
  readonly #options: AuthorizationOptions;

  constructor(tenancy: Tenancy, now: () => number, options: AuthorizationOptions) {
    this.#tenancy = tenancy;
    this.#now = now;
    this.#options = options;
  }

  /**
   * PUT in ARM's order: the GUID, the scope, the role, an existing assignment of that name (same
   * role, principal and scope: 200; anything else: `RoleAssignmentUpdateNotPermitted`), the principal,
   * a duplicate under another name (`RoleAssignmentExists`), the limit.
   */
  put(rawScope: string, name: string, body: unknown): { status: 200 | 201; resource: RoleAssignmentJson } {
    if (!GUID.test(name)) throw errors.invalidRoleAssignmentId(name);
    const { scope, subscriptionId } = this.#tenancy.parseScope(rawScope, false);
    if (subscriptionId === undefined) throw errors.unsupportedScope(scope);
    const properties = isRecord(body) && isRecord(body.properties) ? body.properties : undefined;
    const requestedRole = optionalString(properties?.roleDefinitionId);
    const principalId = optionalString(properties?.principalId);
    if (!properties || requestedRole === undefined || principalId === undefined || principalId === '') {
      throw errors.invalidRoleAssignmentRequest(
        'The request must set properties.roleDefinitionId and properties.principalId.',
      );
    }
    const roleId = this.#roleIdOf(requestedRole);
    const extras = {
      description: optionalString(properties.description),
      condition: optionalString(properties.condition),
      conditionVersion: optionalString(properties.conditionVersion),
    };

    const existing = this.#assignments.get(lower(name));
    if (existing) {
      const same =
        lower(existing.scope) === lower(scope) &&
        existing.roleId === roleId &&
        lower(existing.principalId) === lower(principalId);
      if (!same) throw errors.roleAssignmentUpdateNotPermitted();
      Object.assign(existing, extras, { updatedOn: new Date(this.#now()).toISOString() });
      return { status: 200, resource: this.#json(existing) };
    }

    const requestedType = optionalString(properties.principalType);
    const skipLookup = requestedType !== undefined && this.#options.principalTypeSkipsLookup;
    if (!skipLookup && !this.#tenancy.replicatedPrincipal(principalId)) {
      throw errors.principalNotFound(principalId, this.#tenancy.tenantOf(subscriptionId));
    }
    for (const other of this.#assignments.values()) {
      if (
        lower(other.scope) === lower(scope) &&
        other.roleId === roleId &&
        lower(other.principalId) === lower(principalId)
      ) {
        throw errors.roleAssignmentExists();
      }
    }
    const inSubscription = [...this.#assignments.values()].filter(
      (other) => lower(other.subscriptionId) === lower(subscriptionId),
    ).length;
    if (inSubscription >= this.#options.roleAssignmentLimit) throw errors.roleAssignmentLimitExceeded();

    const now = new Date(this.#now()).toISOString();
    const state: AssignmentState = {
      name: lower(name),
      scope,
      subscriptionId,
      roleId,
      principalId,
      principalType: requestedType ?? this.#tenancy.principal(principalId)?.principalType ?? 'User',
      ...extras,
      createdOn: now,
      updatedOn: now,
    };
    this.#assignments.set(state.name, state);
    return { status: 201, resource: this.#json(state) };
  }

  /** GET: the assignment of that name at exactly that scope. */
  get(rawScope: string, name: string): RoleAssignmentJson {
    const { scope } = this.#tenancy.parseScope(rawScope, false);
    const state = this.#assignments.get(lower(name));
    if (!state || lower(state.scope) !== lower(scope)) throw errors.roleAssignmentNotFound(name);
    return this.#json(state);
  }

  find(name: string): RoleAssignmentJson | undefined {
    const state = this.#assignments.get(lower(name));
    return state && this.#json(state);
  }

  /** DELETE: the deleted assignment, or undefined when there was none at that scope (Azure: 204). */
  delete(rawScope: string, name: string): RoleAssignmentJson | undefined {
    const { scope } = this.#tenancy.parseScope(rawScope, false);
    const state = this.#assignments.get(lower(name));
    if (!state || lower(state.scope) !== lower(scope)) return undefined;
    this.#assignments.delete(state.name);
    return this.#json(state);
  }

  /** Out of band (tests): removes the assignment wherever it is. */
  remove(name: string): boolean {
    return this.#assignments.delete(lower(name));
  }

  /** At, above and below the scope; with `atScope()`, at and above only. */
  list(rawScope: string, filter: string | null): RoleAssignmentJson[] {
    const { scope } = this.#tenancy.parseScope(rawScope, false);
    const { atScope, principalId } = parseAssignmentFilter(filter);
    return [...this.#assignments.values()]
      .filter((state) => scopeContains(state.scope, scope) || (!atScope && scopeContains(scope, state.scope)))
      .filter((state) => principalId === undefined || lower(state.principalId) === lower(principalId))
      .map((state) => this.#json(state));
  }

  all(): RoleAssignmentJson[] {
    return [...this.#assignments.values()].map((state) => this.#json(state));
  }

  roleDefinition(rawScope: string, roleId: string): RoleDefinitionJson {
    const { subscriptionId } = this.#tenancy.parseScope(rawScope, true);
    const role = this.#roles.get(lower(roleId));
    if (!role) throw errors.roleDefinitionNotFound(roleId);
    return this.#definitionJson(subscriptionId, role);
  }

  roleDefinitions(rawScope: string, filter: string | null): RoleDefinitionJson[] {
    const { subscriptionId } = this.#tenancy.parseScope(rawScope, true);
    const matches = parseDefinitionFilter(filter);
    return [...this.#roles.values()]
      .filter(matches)
      .map((role) => this.#definitionJson(subscriptionId, role));
  }

  #roleIdOf(roleDefinition: string): string {
    const roleId = ROLE_DEFINITION_ID.exec(roleDefinition)?.[1];
    if (roleId === undefined || !this.#roles.has(lower(roleId))) {
      throw errors.roleDefinitionDoesNotExist(roleId ?? roleDefinition);
    }
    return lower(roleId);
  }

  #json(state: AssignmentState): RoleAssignmentJson {
    return {
      id: `${state.scope === '/' ? '' : state.scope}/providers/${ROLE_ASSIGNMENT_TYPE}/${state.name}`,
      name: state.name,
      type: ROLE_ASSIGNMENT_TYPE,
      properties: {
        roleDefinitionId: roleDefinitionId(state.subscriptionId, state.roleId),
        principalId: state.principalId,
        principalType: state.principalType,
        scope: state.scope,
        ...(state.description === undefined ? {} : { description: state.description }),
        ...(state.condition === undefined ? {} : { condition: state.condition }),
        ...(state.conditionVersion === undefined ? {} : { conditionVersion: state.conditionVersion }),
        createdOn: state.createdOn,
        updatedOn: state.updatedOn,
      },
    };
  }

  #definitionJson(subscriptionId: string | undefined, role: BuiltInRole): RoleDefinitionJson {
    return {
      id: roleDefinitionId(subscriptionId, role.id),
      name: role.id,
      type: ROLE_DEFINITION_TYPE,
      properties: {
        roleName: role.roleName,
        description: role.description,
        type: 'BuiltInRole',
        permissions: [role.permissions],
        assignableScopes: ['/'],
      },
    };
  }
}

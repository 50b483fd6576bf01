/**
 * App Service sites (Function Apps) as Microsoft.Web keeps them, for what Keyless touches: the
 * site's managed identities and its app settings. Synchronous: every method returns the ARM JSON or
 * throws an `ArmError`.
 *
 * PATCH follows ARM's contract for `identity`: `type` replaces the kinds of identity; a type without
 * `UserAssigned` drops every user-assigned identity; otherwise `userAssignedIdentities` is merged,
 * an entry of `null` removing that identity. A user-assigned identity that does not exist is refused.
 */
import { randomUUID } from 'node:crypto';
import * as errors from './errors.js';
import { ArmError } from './errors.js';
import type { IdentityRef } from './routing.js';
import type { Tenancy } from './tenancy.js';

export const SITE_TYPE = 'Microsoft.Web/sites';

export interface SiteIdentityJson {
  readonly type: string;
  readonly principalId?: string;
  readonly tenantId?: string;
  readonly userAssignedIdentities?: Readonly<Record<string, { principalId: string; clientId: string }>>;
}

export interface SiteJson {
  readonly id: string;
  readonly name: string;
  readonly type: typeof SITE_TYPE;
  readonly kind: string;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly properties: { readonly state: 'Running'; readonly defaultHostName: string };
  readonly identity?: SiteIdentityJson;
}

export interface AppSettingsJson {
  readonly id: string;
  readonly name: 'appsettings';
  readonly type: 'Microsoft.Web/sites/config';
  readonly properties: Readonly<Record<string, string>>;
}

/** Out-of-band creation (tests): a site with these identities and settings. */
export interface SiteCreateOptions {
  readonly location?: string;
  readonly kind?: string;
  readonly systemAssigned?: boolean;
  /** Resource IDs of user-assigned identities already on the site (they must exist). */
  readonly userAssignedIdentities?: readonly string[];
  readonly appSettings?: Readonly<Record<string, string>>;
}

/** Resolves a user-assigned identity's ids by resource ID; undefined when it does not exist. */
export type IdentityLookup = (resourceId: string) => { principalId: string; clientId: string } | undefined;

interface SiteState {
  readonly ref: IdentityRef;
  readonly location: string;
  readonly kind: string;
  tags: Record<string, string>;
  systemPrincipalId: string | undefined;
  /** Keyed by the resource ID as first written. */
  userAssigned: Map<string, string>;
  appSettings: Record<string, string>;
}

const keyOf = (ref: IdentityRef) => `${ref.subscriptionId}/${ref.resourceGroup}/${ref.name}`.toLowerCase();

export const siteId = (ref: IdentityRef): string =>
  `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/${SITE_TYPE}/${ref.name}`;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const IDENTITY_TYPES = new Map(
  ['None', 'SystemAssigned', 'UserAssigned', 'SystemAssigned, UserAssigned'].map((t) => [
    t.toLowerCase().replace(/\s+/g, ''),
    t,
  ]),
);

export class Sites {
  readonly #sites = new Map<string, SiteState>();
  readonly #tenancy: Tenancy;
  readonly #lookup: IdentityLookup;

  constructor(tenancy: Tenancy, lookup: IdentityLookup) {
    this.#tenancy = tenancy;
    this.#lookup = lookup;
  }

  seed(ref: IdentityRef, options: SiteCreateOptions = {}): SiteJson {
    this.#tenancy.requireResourceGroup(ref.subscriptionId, ref.resourceGroup);
    const state: SiteState = {
      ref,
      location: options.location ?? 'westeurope',
      kind: options.kind ?? 'functionapp',
      tags: {},
      systemPrincipalId: options.systemAssigned ? randomUUID() : undefined,
      userAssigned: new Map(),
      appSettings: { ...(options.appSettings ?? {}) },
    };
    for (const id of options.userAssignedIdentities ?? []) this.#assign(state, id);
    this.#sites.set(keyOf(ref), state);
    return this.#json(state);
  }

  find(ref: IdentityRef): SiteJson | undefined {
    const state = this.#sites.get(keyOf(ref));
    return state && this.#json(state);
  }

  get(ref: IdentityRef): SiteJson {
    return this.#json(this.#require(ref));
  }

  delete(ref: IdentityRef): boolean {
    return this.#sites.delete(keyOf(ref));
  }

  /** PATCH: `identity` as the contract above says, `tags` replaced when present; the rest is ignored. */
  patch(ref: IdentityRef, body: unknown): SiteJson {
    const state = this.#require(ref);
    if (!isRecord(body)) throw errors.invalidRequestContent('the body must be a JSON object');
    if (body.tags !== undefined) {
      if (!isRecord(body.tags)) throw errors.invalidRequestContent("'tags' must be an object");
      state.tags = Object.fromEntries(Object.entries(body.tags).map(([k, v]) => [k, String(v)]));
    }
    if (body.identity !== undefined) this.#patchIdentity(state, body.identity);
    return this.#json(state);
  }

  /** Out of band: sets the identities as someone in the portal would. */
  setIdentity(
    ref: IdentityRef,
    options: Pick<SiteCreateOptions, 'systemAssigned' | 'userAssignedIdentities'>,
  ) {
    const state = this.#require(ref);
    state.systemPrincipalId = options.systemAssigned ? (state.systemPrincipalId ?? randomUUID()) : undefined;
    state.userAssigned = new Map();
    for (const id of options.userAssignedIdentities ?? []) this.#assign(state, id);
    return this.#json(state);
  }

  /** POST config/appsettings/list. */
  settings(ref: IdentityRef): AppSettingsJson {
    return this.#settingsJson(this.#require(ref));
  }

  /** PUT config/appsettings: replaces every setting with `properties`. */
  putSettings(ref: IdentityRef, body: unknown): AppSettingsJson {
    const state = this.#require(ref);
    if (!isRecord(body) || !isRecord(body.properties ?? {}))
      throw errors.invalidRequestContent("the body must be a JSON object with 'properties'");
    const settings: Record<string, string> = {};
    for (const [name, value] of Object.entries((body.properties ?? {}) as Record<string, unknown>)) {
      if (typeof value !== 'string') throw errors.invalidRequestContent(`setting '${name}' must be a string`);
      settings[name] = value;
    }
    state.appSettings = settings;
    return this.#settingsJson(state);
  }

  /** Out of band. */
  setSettings(ref: IdentityRef, settings: Readonly<Record<string, string>>): AppSettingsJson {
    const state = this.#require(ref);
    state.appSettings = { ...settings };
    return this.#settingsJson(state);
  }

  #patchIdentity(state: SiteState, identity: unknown): void {
    if (!isRecord(identity)) throw errors.invalidRequestContent("'identity' must be an object");
    const type = IDENTITY_TYPES.get(
      String(identity.type ?? '')
        .toLowerCase()
        .replace(/\s+/g, ''),
    );
    if (!type)
      throw new ArmError(400, 'BadRequest', `The identity type '${String(identity.type)}' is invalid.`);
    const wantsUser = type.includes('UserAssigned');
    const entries = identity.userAssignedIdentities;
    if (entries !== undefined && entries !== null && !isRecord(entries))
      throw errors.invalidRequestContent("'userAssignedIdentities' must be an object");
    if (!wantsUser && entries && Object.values(entries).some((v) => v !== null)) {
      throw new ArmError(
        400,
        'BadRequest',
        `The identity type '${type}' cannot have user-assigned identities.`,
      );
    }
    // Validate before changing anything: a refused PATCH changes nothing.
    const next = new Map(wantsUser ? state.userAssigned : []);
    for (const [id, value] of Object.entries(entries ?? {})) {
      const existing = [...next.keys()].find((k) => k.toLowerCase() === id.toLowerCase());
      if (value === null) {
        if (existing) next.delete(existing);
        continue;
      }
      const ids = this.#lookup(id);
      if (!ids) {
        throw new ArmError(
          400,
          'BadRequest',
          `The user-assigned identity '${id}' was not found or the site cannot use it.`,
        );
      }
      if (!existing) next.set(id, id);
    }
    if (wantsUser && next.size === 0) {
      throw new ArmError(
        400,
        'BadRequest',
        `The identity type '${type}' needs at least one user-assigned identity.`,
      );
    }
    state.userAssigned = next;
    if (type.includes('SystemAssigned')) state.systemPrincipalId ??= randomUUID();
    else state.systemPrincipalId = undefined;
  }

  #assign(state: SiteState, id: string): void {
    if (!this.#lookup(id)) throw new Error(`the fake has no user-assigned identity ${id}`);
    state.userAssigned.set(id, id);
  }

  #require(ref: IdentityRef): SiteState {
    this.#tenancy.requireResourceGroup(ref.subscriptionId, ref.resourceGroup);
    const state = this.#sites.get(keyOf(ref));
    if (!state) throw errors.resourceNotFound(`${SITE_TYPE}/${ref.name}`, ref.resourceGroup);
    return state;
  }

  #json(state: SiteState): SiteJson {
    const user = [...state.userAssigned.keys()].flatMap((id) => {
      const ids = this.#lookup(id);
      // An identity deleted since keeps its entry, with no ids: as in Azure.
      return [[id, ids ?? { principalId: '', clientId: '' }] as const];
    });
    const system = state.systemPrincipalId !== undefined;
    const type =
      system && user.length > 0
        ? 'SystemAssigned, UserAssigned'
        : system
          ? 'SystemAssigned'
          : user.length > 0
            ? 'UserAssigned'
            : undefined;
    return {
      id: siteId(state.ref),
      name: state.ref.name,
      type: SITE_TYPE,
      kind: state.kind,
      location: state.location,
      tags: { ...state.tags },
      properties: { state: 'Running', defaultHostName: `${state.ref.name.toLowerCase()}.azurewebsites.net` },
      ...(type
        ? {
            identity: {
              type,
              ...(system
                ? {
                    principalId: state.systemPrincipalId,
                    tenantId: this.#tenancy.tenantOf(state.ref.subscriptionId),
                  }
                : {}),
              ...(user.length > 0 ? { userAssignedIdentities: Object.fromEntries(user) } : {}),
            },
          }
        : {}),
    };
  }

  #settingsJson(state: SiteState): AppSettingsJson {
    return {
      id: `${siteId(state.ref)}/config/appsettings`,
      name: 'appsettings',
      type: 'Microsoft.Web/sites/config',
      properties: { ...state.appSettings },
    };
  }
}

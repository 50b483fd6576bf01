/**
 * User-assigned managed identities and their federated identity credentials, as Microsoft.ManagedIdentity
 * keeps them. Synchronous: every method either returns the ARM JSON or throws an `ArmError`. The
 * one-write-at-a-time rule for credentials is the server's (it needs time); the rest is here.
 */
import { randomUUID } from 'node:crypto';
import * as errors from './errors.js';
import type { IdentityRef } from './routing.js';
import type { Tenancy } from './tenancy.js';

export const IDENTITY_TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities';
export const CREDENTIAL_TYPE =
  'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials';
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

export interface IdentityJson {
  readonly id: string;
  readonly name: string;
  readonly type: typeof IDENTITY_TYPE;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly properties: { readonly tenantId: string; readonly principalId: string; readonly clientId: string };
}

export interface FederatedCredentialJson {
  readonly id: string;
  readonly name: string;
  readonly type: typeof CREDENTIAL_TYPE;
  readonly properties: {
    readonly issuer: string;
    readonly subject: string;
    readonly audiences: readonly string[];
  };
}

export interface PutResult<T> {
  readonly status: 200 | 201;
  readonly resource: T;
}

/** Out-of-band creation (tests): the ids to use and when the principal was created. */
export interface SeedIdentityOptions {
  readonly principalId?: string;
  readonly clientId?: string;
  /** Default: now. An earlier time makes the principal visible to role assignments at once. */
  readonly createdAt?: number;
}

interface CredentialState {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

interface IdentityState {
  readonly ref: IdentityRef;
  readonly tenantId: string;
  readonly principalId: string;
  readonly clientId: string;
  location: string;
  tags: Record<string, string>;
  readonly credentials: Map<string, CredentialState>;
  /** Set by an accepted (202) delete: the identity is gone from this time on. */
  deleteAt?: number;
}

const IDENTITY_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/;
const CREDENTIAL_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}$/;

const keyOf = (ref: IdentityRef) => `${ref.subscriptionId}/${ref.resourceGroup}/${ref.name}`.toLowerCase();

/** MSI writes `resourcegroups` in lower case in the ids it returns; ARM elsewhere writes `resourceGroups`. */
export const identityId = (ref: IdentityRef): string =>
  `/subscriptions/${ref.subscriptionId}/resourcegroups/${ref.resourceGroup}/providers/${IDENTITY_TYPE}/${ref.name}`;

/** As the concurrent-write error writes it: provider and type in lower case too. */
const identityIdLowerCased = (ref: IdentityRef): string =>
  `/subscriptions/${ref.subscriptionId}/resourcegroups/${ref.resourceGroup}/providers/microsoft.managedidentity/userassignedidentities/${ref.name}`;

/** ARM stores locations without spaces, in lower case: `West Europe` → `westeurope`. */
const normaliseLocation = (location: string) => location.replace(/\s+/g, '').toLowerCase();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readTags(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw errors.invalidRequestContent("'tags' must be an object");
  const tags: Record<string, string> = {};
  for (const [name, tag] of Object.entries(value)) {
    if (typeof tag !== 'string') throw errors.invalidRequestContent(`tag '${name}' must be a string`);
    tags[name] = tag;
  }
  return tags;
}

export class Identities {
  readonly #identities = new Map<string, IdentityState>();
  readonly #tenancy: Tenancy;
  readonly #now: () => number;
  readonly #credentialLimit: number;

  constructor(tenancy: Tenancy, now: () => number, credentialLimit: number) {
    this.#tenancy = tenancy;
    this.#now = now;
    this.#credentialLimit = credentialLimit;
  }

  /** PUT: creates (201, new principal and client ids) or replaces location-less fields (200, same ids). */
  put(ref: IdentityRef, body: unknown): PutResult<IdentityJson> {
    this.#tenancy.requireResourceGroup(ref.subscriptionId, ref.resourceGroup);
    if (!IDENTITY_NAME.test(ref.name)) throw errors.invalidResourceName(ref.name, IDENTITY_TYPE);
    if (!isRecord(body)) throw errors.invalidRequestContent('the body must be a JSON object');
    if (typeof body.location !== 'string' || body.location.trim() === '') throw errors.locationRequired();
    const location = normaliseLocation(body.location);
    const tags = readTags(body.tags);
    const existing = this.#find(ref);
    if (existing) {
      if (existing.location !== location) {
        throw errors.locationChanged(ref.name, existing.location, ref.resourceGroup, location);
      }
      existing.tags = tags;
      return { status: 200, resource: this.#json(existing) };
    }
    return { status: 201, resource: this.#json(this.#create(ref, location, tags, {})) };
  }

  /** Creates an identity out of band (tests), replacing any with the same name. */
  seed(
    ref: IdentityRef,
    location: string,
    tags: Record<string, string>,
    options: SeedIdentityOptions,
  ): IdentityJson {
    this.delete(ref);
    return this.#json(this.#create(ref, normaliseLocation(location), { ...tags }, options));
  }

  get(ref: IdentityRef): IdentityJson {
    return this.#json(this.#require(ref));
  }

  find(ref: IdentityRef): IdentityJson | undefined {
    const state = this.#find(ref);
    return state && this.#json(state);
  }

  /** PATCH: only `tags` can change (replaced as a whole when present). */
  patch(ref: IdentityRef, body: unknown): IdentityJson {
    const state = this.#require(ref);
    if (!isRecord(body)) throw errors.invalidRequestContent('the body must be a JSON object');
    if (body.tags !== undefined) state.tags = readTags(body.tags);
    return this.#json(state);
  }

  setTags(ref: IdentityRef, tags: Record<string, string>): IdentityJson {
    const state = this.#require(ref);
    state.tags = { ...tags };
    return this.#json(state);
  }

  /**
   * Deletes the identity and its credentials; false when there is none. Its role assignments stay
   * (orphaned), as in Azure.
   */
  delete(ref: IdentityRef): boolean {
    this.#tenancy.requireResourceGroup(ref.subscriptionId, ref.resourceGroup);
    const state = this.#find(ref);
    if (state) this.#remove(state);
    return state !== undefined;
  }

  /** An accepted delete: the identity stays visible until `atMs`. */
  deleteAt(ref: IdentityRef, atMs: number): IdentityJson {
    const state = this.#require(ref);
    state.deleteAt = atMs;
    return this.#json(state);
  }

  list(subscriptionId: string, resourceGroup?: string): IdentityJson[] {
    this.#tenancy.tenantOf(subscriptionId);
    if (resourceGroup !== undefined) this.#tenancy.requireResourceGroup(subscriptionId, resourceGroup);
    const prefix =
      `${subscriptionId}/${resourceGroup === undefined ? '' : `${resourceGroup}/`}`.toLowerCase();
    return [...this.#identities.keys()]
      .filter((key) => key.startsWith(prefix))
      .flatMap((key) => {
        const state = this.#live(key);
        return state ? [this.#json(state)] : [];
      });
  }

  /** The identity's id as the concurrent-write error names it; throws when the identity is missing. */
  concurrencyKey(ref: IdentityRef): { key: string; id: string } {
    this.#requireParent(ref);
    return { key: keyOf(ref), id: identityIdLowerCased(ref) };
  }

  credentials(ref: IdentityRef): FederatedCredentialJson[] {
    const state = this.#requireParent(ref);
    return [...state.credentials.values()].map((credential) => this.#credentialJson(state, credential));
  }

  credential(ref: IdentityRef, name: string): FederatedCredentialJson {
    const state = this.#requireParent(ref);
    const credential = state.credentials.get(name.toLowerCase());
    if (!credential) {
      throw errors.resourceNotFound(
        `${IDENTITY_TYPE}/${ref.name}/federatedIdentityCredentials/${name}`,
        ref.resourceGroup,
      );
    }
    return this.#credentialJson(state, credential);
  }

  /** Checks what Azure checks, in its order: name, properties, one audience, uniqueness, the limit. */
  putCredential(ref: IdentityRef, name: string, body: unknown): PutResult<FederatedCredentialJson> {
    const state = this.#requireParent(ref);
    if (!CREDENTIAL_NAME.test(name)) throw errors.ficNameInvalid(name);
    const properties = isRecord(body) && isRecord(body.properties) ? body.properties : undefined;
    const { issuer, subject, audiences } = properties ?? {};
    if (
      typeof issuer !== 'string' ||
      issuer === '' ||
      typeof subject !== 'string' ||
      subject === '' ||
      !Array.isArray(audiences) ||
      audiences.length === 0 ||
      !audiences.every((audience) => typeof audience === 'string')
    ) {
      throw errors.ficEmptyProperties();
    }
    if (audiences.length !== 1) throw errors.ficOneAudience();
    const key = name.toLowerCase();
    for (const [otherKey, other] of state.credentials) {
      if (otherKey !== key && other.issuer === issuer && other.subject === subject)
        throw errors.ficIssuerSubjectExists();
    }
    const existing = state.credentials.get(key);
    if (!existing && state.credentials.size >= this.#credentialLimit)
      throw errors.ficLimitExceeded(this.#credentialLimit);
    const credential: CredentialState = {
      name: existing?.name ?? name,
      issuer,
      subject,
      audiences: [...audiences],
    };
    state.credentials.set(key, credential);
    return { status: existing ? 200 : 201, resource: this.#credentialJson(state, credential) };
  }

  deleteCredential(ref: IdentityRef, name: string): boolean {
    return this.#requireParent(ref).credentials.delete(name.toLowerCase());
  }

  #create(ref: IdentityRef, location: string, tags: Record<string, string>, options: SeedIdentityOptions) {
    const tenantId = this.#tenancy.tenantOf(ref.subscriptionId);
    const state: IdentityState = {
      ref,
      tenantId,
      principalId: options.principalId ?? randomUUID(),
      clientId: options.clientId ?? randomUUID(),
      location,
      tags,
      credentials: new Map(),
    };
    this.#identities.set(keyOf(ref), state);
    this.#tenancy.addPrincipal({
      principalId: state.principalId,
      tenantId,
      principalType: 'ServicePrincipal',
      createdAt: options.createdAt ?? this.#now(),
    });
    return state;
  }

  /** The identity, unless an accepted delete has completed (then it is removed now). */
  #live(key: string): IdentityState | undefined {
    const state = this.#identities.get(key);
    if (state?.deleteAt !== undefined && this.#now() >= state.deleteAt) {
      this.#remove(state);
      return undefined;
    }
    return state;
  }

  #remove(state: IdentityState): void {
    this.#identities.delete(keyOf(state.ref));
    this.#tenancy.removePrincipal(state.principalId);
  }

  #find(ref: IdentityRef): IdentityState | undefined {
    return this.#live(keyOf(ref));
  }

  #require(ref: IdentityRef): IdentityState {
    this.#tenancy.requireResourceGroup(ref.subscriptionId, ref.resourceGroup);
    const state = this.#find(ref);
    if (!state) throw errors.resourceNotFound(`${IDENTITY_TYPE}/${ref.name}`, ref.resourceGroup);
    return state;
  }

  #requireParent(ref: IdentityRef): IdentityState {
    this.#tenancy.requireResourceGroup(ref.subscriptionId, ref.resourceGroup);
    const state = this.#find(ref);
    if (!state) throw errors.parentIdentityNotFound();
    return state;
  }

  #json(state: IdentityState): IdentityJson {
    return {
      id: identityId(state.ref),
      name: state.ref.name,
      type: IDENTITY_TYPE,
      location: state.location,
      tags: { ...state.tags },
      properties: { tenantId: state.tenantId, principalId: state.principalId, clientId: state.clientId },
    };
  }

  #credentialJson(state: IdentityState, credential: CredentialState): FederatedCredentialJson {
    return {
      id: `${identityId(state.ref)}/federatedIdentityCredentials/${credential.name}`,
      name: credential.name,
      type: CREDENTIAL_TYPE,
      properties: {
        issuer: credential.issuer,
        subject: credential.subject,
        audiences: [...credential.audiences],
      },
    };
  }
}

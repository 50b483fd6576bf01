import { Reason } from '../../api/reasons.js';
import { AZURE_SITE_ID_PATTERN } from '../../api/schema-helpers.js';
import { parseAzureResourceId } from '../../policy/azure-resource-ids.js';
import { terminal } from '../../runtime/errors.js';
import type { IdentityRequest } from '../provider.js';

/** The app setting DefaultAzureCredential reads to pick a user-assigned identity. */
export const CLIENT_ID_SETTING = 'AZURE_CLIENT_ID';

/** What the operator needs, per step, on a site (or its resource group). */
export const SITE_PERMISSIONS = {
  read: 'Microsoft.Web/sites/read',
  write:
    'Microsoft.Web/sites/write and, on the identity, Microsoft.ManagedIdentity/userAssignedIdentities/assign/action',
  listSettings: 'Microsoft.Web/sites/config/list/action',
  writeSettings: 'Microsoft.Web/sites/config/write',
} as const;

const SITE_ID = new RegExp(AZURE_SITE_ID_PATTERN);

/** One Function App or App Service site that should run as the identity. */
export interface SiteRef {
  /** The resource ID as the spec spells it. */
  id: string;
  resourceGroup: string;
  name: string;
}

export interface FunctionApps {
  sites: SiteRef[];
  /** Sites status says Keyless attached that the spec no longer names: the identity comes off them. */
  released: SiteRef[];
  /** Lower-cased IDs of the sites status says Keyless attached. */
  attached: ReadonlySet<string>;
  /** Keep the site's AZURE_CLIENT_ID app setting at the identity's client id. */
  setClientId: boolean;
}

/**
 * The sites of the AzureFunction subject, checked the way ARM reads resource IDs (no `.`/`..`
 * segment, nothing a URL would decode) and in the account's subscription, whose client serves them.
 */
export function functionAppsOf(request: IdentityRequest, subscriptionId: string): FunctionApps {
  const subject = request.spec.subjects.find((s) => s.serverless?.platform === 'AzureFunction')?.serverless;
  const sites = new Map<string, SiteRef>();
  for (const [index, id] of (subject?.functionApps ?? []).entries()) {
    const site = siteRefOf(id, subscriptionId);
    if (typeof site === 'string')
      throw terminal(Reason.InvalidSpec, `serverless.functionApps[${index}] ${site}`);
    if (!sites.has(id.toLowerCase())) sites.set(id.toLowerCase(), site);
  }
  // Status lists only sites Keyless checked; anything else there (another cloud's functions) is not ours.
  const released = new Map<string, SiteRef>();
  const attached = new Set((request.attachedFunctions ?? []).map((id) => id.toLowerCase()));
  for (const id of request.attachedFunctions ?? []) {
    const site = siteRefOf(id, subscriptionId);
    if (typeof site !== 'string' && !sites.has(id.toLowerCase())) released.set(id.toLowerCase(), site);
  }
  return {
    sites: [...sites.values()],
    released: [...released.values()],
    attached,
    setClientId: subject?.setClientIdSetting === true,
  };
}

/** The site an ID names, or what is wrong with the ID. */
function siteRefOf(id: string, subscriptionId: string): SiteRef | string {
  const reading = parseAzureResourceId(id);
  if (!reading.id) return `${id}: ${reading.problem}`;
  if (!SITE_ID.test(id) || reading.id.level !== 'resource')
    return `${id} is not a site ID (/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Web/sites/NAME)`;
  if (reading.id.subscription !== subscriptionId.toLowerCase())
    return `${id} is not in the account's subscription ${subscriptionId}`;
  const segments = id.split('/');
  return { id, resourceGroup: segments[4] ?? '', name: segments[8] ?? '' };
}

/** A site's `identity` as ARM returns it. */
export interface SiteIdentity {
  type?: string;
  userAssignedIdentities?: Record<string, unknown>;
}

/**
 * The `identity` of a site PATCH: an entry of `null` removes that user-assigned identity, as ARM's
 * PATCH contract says; a type without UserAssigned removes them all.
 */
export interface SiteIdentityPatch {
  type: 'UserAssigned' | 'SystemAssigned, UserAssigned' | 'SystemAssigned' | 'None';
  userAssignedIdentities?: Record<string, Record<string, never> | null>;
}

const systemAssigned = (identity: SiteIdentity | undefined): boolean =>
  /systemassigned/i.test(identity?.type ?? '');

/** The site's user-assigned identity keys (resource IDs as the site spells them). */
function assignedKeys(identity: SiteIdentity | undefined): string[] {
  if (!/userassigned/i.test(identity?.type ?? '')) return [];
  return Object.keys(identity?.userAssignedIdentities ?? {});
}

/** ARM compares resource IDs without case. */
function keyOf(identity: SiteIdentity | undefined, identityId: string): string | undefined {
  return assignedKeys(identity).find((k) => k.toLowerCase() === identityId.toLowerCase());
}

export function hasIdentity(identity: SiteIdentity | undefined, identityId: string): boolean {
  return keyOf(identity, identityId) !== undefined;
}

/**
 * The PATCH that adds the identity and keeps every other one (a system-assigned identity and the
 * other user-assigned ones, listed too so the PATCH holds whether ARM merges or replaces the map);
 * undefined when the site already has it.
 */
export function identityPatchAdding(
  current: SiteIdentity | undefined,
  identityId: string,
): SiteIdentityPatch | undefined {
  if (hasIdentity(current, identityId)) return undefined;
  const others = Object.fromEntries(assignedKeys(current).map((k) => [k, {}]));
  return {
    type: systemAssigned(current) ? 'SystemAssigned, UserAssigned' : 'UserAssigned',
    userAssignedIdentities: { ...others, [identityId]: {} },
  };
}

/** The PATCH that removes only the identity; undefined when the site does not have it. */
export function identityPatchRemoving(
  current: SiteIdentity | undefined,
  identityId: string,
): SiteIdentityPatch | undefined {
  const ours = keyOf(current, identityId);
  if (ours === undefined) return undefined;
  const others = assignedKeys(current).filter((k) => k !== ours);
  const system = systemAssigned(current);
  if (others.length === 0) return { type: system ? 'SystemAssigned' : 'None' };
  return {
    type: system ? 'SystemAssigned, UserAssigned' : 'UserAssigned',
    userAssignedIdentities: { ...Object.fromEntries(others.map((k) => [k, {}])), [ours]: null },
  };
}

/** The settings with AZURE_CLIENT_ID set, every other one kept; undefined when it already holds it. */
export function settingsWithClientId(
  current: Readonly<Record<string, string>>,
  clientId: string,
): Record<string, string> | undefined {
  if (current[CLIENT_ID_SETTING] === clientId) return undefined;
  return { ...current, [CLIENT_ID_SETTING]: clientId };
}

/** The settings without AZURE_CLIENT_ID, only while it still holds Keyless's value; else undefined. */
export function settingsWithoutClientId(
  current: Readonly<Record<string, string>>,
  clientId: string,
): Record<string, string> | undefined {
  if (current[CLIENT_ID_SETTING] !== clientId) return undefined;
  const { [CLIENT_ID_SETTING]: _removed, ...rest } = current;
  return rest;
}

/** How status and drift show a site's identities. */
export function describeSiteIdentity(identity: SiteIdentity | undefined): string {
  const keys = assignedKeys(identity);
  const type = identity?.type ?? 'None';
  return keys.length > 0 ? `${type} (${keys.join(', ')})` : type;
}

import { dotSegment, unreadCharacter } from './resource-paths.js';

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const NAMESPACE = /^[A-Za-z0-9]+(\.[A-Za-z0-9]+)+$/;

/** How far an Azure scope reaches: a whole subscription, one resource group, or one resource. */
export type AzureScopeLevel = 'subscription' | 'resourceGroup' | 'resource';

/** An Azure resource ID as ARM reads it: names lower-cased, because ARM compares IDs without case. */
export interface AzureResourceId {
  level: AzureScopeLevel;
  subscription: string;
  /** Absent for the subscription itself and for resources at subscription level. */
  resourceGroup: string | undefined;
  /**
   * The resource provider namespace (`microsoft.storage`), then every segment after another
   * `providers` segment, lower-cased: a nested provider is never missed, even where a name is
   * spelled `providers`.
   */
  namespaces: string[];
}

export type AzureResourceIdReading =
  | { id: AzureResourceId; problem?: never }
  | { id?: never; problem: string };

/**
 * Reads a resource ID (`/subscriptions/ID[/resourceGroups/RG][/providers/NAMESPACE/TYPE/NAME...]`)
 * the way ARM does, or says what is wrong with it and where. Only the canonical spelling is
 * accepted: no empty, `.` or `..` segment, no trailing slash, nothing a URL would decode, resolve
 * or cut (see resource-paths.ts). Letter case is free, as in ARM.
 */
export function parseAzureResourceId(id: string): AzureResourceIdReading {
  let reading = recent.get(id);
  if (!reading) {
    reading = parse(id);
    if (recent.size >= 64) recent.clear();
    recent.set(id, reading);
  }
  return reading;
}

/** The last few readings: one check reads a grant's scope once per rule that could apply. */
const recent = new Map<string, AzureResourceIdReading>();

function parse(id: string): AzureResourceIdReading {
  const unread = unreadCharacter(id);
  if (unread) return { problem: unread };
  const segments = id.split('/');
  if (segments[0] !== '' || !isKeyword(segments[1], 'subscriptions'))
    return { problem: 'it does not start with /subscriptions/' };
  const subscription = segments[2];
  if (!subscription) return { problem: 'it names no subscription id after /subscriptions/' };
  const count = segments.length;
  if (segments[count - 1] === '') return { problem: 'it ends with /' };
  for (let i = 1; i < count; i++) {
    const segment = segments[i] as string;
    if (segment === '') return { problem: `segment ${i} is empty (two slashes)` };
    const dot = segment.charCodeAt(0) === 0x2e ? dotSegment(segment) : undefined;
    if (dot) return { problem: `segment ${i} is "${segment}", ${dot}` };
  }
  if (!GUID.test(subscription))
    return { problem: `the subscription id "${subscription}" (segment 2) is not a GUID` };
  let at = 3;
  let resourceGroup: string | undefined;
  if (isKeyword(segments[at], 'resourcegroups')) {
    resourceGroup = segments[at + 1]?.toLowerCase();
    if (resourceGroup === undefined)
      return { problem: 'it ends with resourceGroups but names no resource group' };
    at += 2;
  }
  const reading = { subscription: subscription.toLowerCase(), resourceGroup };
  if (at === count) {
    const level = resourceGroup === undefined ? 'subscription' : 'resourceGroup';
    return { id: { level, ...reading, namespaces: [] } };
  }
  if (!isKeyword(segments[at], 'providers')) {
    return { problem: `segment ${at} is "${segments[at]}" where resourceGroups or providers belongs` };
  }
  const namespace = segments[at + 1];
  if (namespace === undefined)
    return { problem: 'it ends with providers but names no resource provider namespace' };
  if (!NAMESPACE.test(namespace)) {
    return {
      problem: `the resource provider namespace "${namespace}" (segment ${at + 1}) is not like Microsoft.Storage`,
    };
  }
  const pairs = count - at - 2;
  if (pairs === 0) return { problem: `it ends with the namespace ${namespace} but names no resource type` };
  if (pairs % 2 === 1) {
    return {
      problem: `it ends with the resource type "${segments[count - 1]}" but names no resource of that type`,
    };
  }
  const namespaces: string[] = [];
  for (let i = at + 1; i < count; i++) {
    if (!isKeyword(segments[i - 1], 'providers')) continue;
    namespaces.push((segments[i] as string).toLowerCase());
    // A nested provider (an extension resource) shows as the type `providers` and its namespace.
    const typePosition = (i - 1 - at) % 2 === 0;
    if (i > at + 1 && typePosition && !NAMESPACE.test(segments[i] as string))
      return { problem: `the resource provider namespace "${segments[i]}" is not like Microsoft.Storage` };
  }
  return { id: { level: 'resource', ...reading, namespaces } };
}

/** ARM's keywords compare without case. */
function isKeyword(segment: string | undefined, keyword: string): boolean {
  return segment !== undefined && segment.length === keyword.length && segment.toLowerCase() === keyword;
}

/** What is wrong with a string meant as an Azure resource ID; undefined for a canonical one. */
export function resourceIdProblem(id: string): string | undefined {
  return parseAzureResourceId(id).problem;
}

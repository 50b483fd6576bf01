/** What an operation's handler gets, and what it returns: the JSON of a 200 answer (or it throws a GcpError). */
import type { JsonObject } from './json.js';
import type { GcpStore } from './store.js';

export interface HandlerContext {
  /** Path parameters, percent-decoded once. */
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  /** The request body, parsed (`{}` when empty). */
  readonly body: JsonObject;
  readonly store: GcpStore;
  /** The client asked for `$alt=json;enum-encoding=int` (the gax REST clients do): enums as numbers. */
  readonly enumsAsInts: boolean;
  /** Whether a permission was taken away with `denyPermission()` (for testIamPermissions). */
  readonly isDenied: (permission: string) => boolean;
}

export type Handler = (context: HandlerContext) => JsonObject;

/** Path parameter `index`; the route's pattern guarantees it is there. */
export function param(context: HandlerContext, index: number): string {
  const value = context.params[index];
  if (value === undefined) throw new Error(`gcp-fake: route has no path parameter ${index}`);
  return value;
}

/**
 * How the clouds read an identifier that travels in a URL path, written independently of
 * src/policy: a reference for property tests.
 *
 * Azure: the SDK (core-client's appendPath) moves whatever follows `?` into the query and sets the
 * rest as the URL's pathname, where WHATWG URL parsing resolves `.` and `..` segments (`%2e` too),
 * turns `\` into `/` and drops tabs and line breaks; ARM then decodes percent-escapes and compares
 * without case. Google Cloud: a full resource name `//SERVICE/PATH` is a scheme-relative URL, read
 * the same way, and compared exactly.
 */

const ASSIGNMENT = '/providers/Microsoft.Authorization/roleAssignments/n';

/** The scope ARM reads from a role assignment's scope, lower-cased. */
export function armReading(scope: string): string {
  const url = new URL('https://management.azure.com/');
  const path = `${scope}${ASSIGNMENT}`;
  const query = path.indexOf('?');
  url.pathname = query >= 0 ? path.slice(0, query) : path;
  const read = decoded(url.pathname).toLowerCase();
  const suffix = ASSIGNMENT.toLowerCase();
  // When the suffix itself is gone, ARM reads another request altogether: never the scope as written.
  return read.endsWith(suffix) ? read.slice(0, -suffix.length) : `(not a role assignment: ${read})`;
}

/** The full resource name Google Cloud reads from `name`. */
export function googleReading(name: string): string {
  let url: URL;
  try {
    url = new URL(`https:${name}`);
  } catch {
    return '(not a URL)';
  }
  const cut = url.search || url.hash ? ` (the rest, ${url.search}${url.hash}, is not part of it)` : '';
  return `//${url.host}${decoded(url.pathname)}${cut}`;
}

function decoded(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

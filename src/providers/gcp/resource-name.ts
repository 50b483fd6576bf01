/**
 * What is wrong with a string meant as a Google Cloud full resource name
 * (`//SERVICE.googleapis.com/COLLECTION/ID/...`), and where; undefined for a well-formed one.
 * Whether Keyless knows that kind of resource is the catalogue's question, not this one.
 */
export function fullResourceNameProblem(name: string): string | undefined {
  if (!name.startsWith('//')) return 'it does not start with //SERVICE.googleapis.com/';
  const space = name.search(/\s/);
  if (space >= 0) return `it holds white space at character ${space + 1}`;
  const [host = '', ...segments] = name.slice(2).split('/');
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*\.googleapis\.com$/.test(host))
    return `its service "${host}" is not SERVICE.googleapis.com`;
  if (segments.length === 0 || (segments.length === 1 && segments[0] === ''))
    return 'it names a service but no resource';
  const empty = segments.indexOf('');
  if (empty >= 0) {
    const at = 2 + host.length + segments.slice(0, empty).reduce((n, s) => n + s.length + 1, 0) + 1;
    return empty === segments.length - 1
      ? 'it ends with /'
      : `it has an empty segment: two slashes at characters ${at}–${at + 1}`;
  }
  return undefined;
}

/** The service of a well-formed full resource name, e.g. `storage.googleapis.com`. */
export function serviceOf(name: string): string {
  return name.slice(2).split('/', 1)[0] ?? '';
}

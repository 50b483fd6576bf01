import { dotSegment, mayReadOtherwise, unreadCharacter } from './resource-paths.js';

/**
 * What is wrong with a string meant as a Google Cloud full resource name
 * (`//SERVICE.googleapis.com/COLLECTION/ID/...`), and where; undefined for a well-formed one.
 * Whether Keyless knows that kind of resource is the catalogue's question, not this one.
 */
export function fullResourceNameProblem(name: string): string | undefined {
  if (!name.startsWith('//')) return 'it does not start with //SERVICE.googleapis.com/';
  const shape = resourceNameShapeProblem(name);
  if (shape) return shape;
  const [host = '', ...segments] = name.slice(2).split('/');
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*\.googleapis\.com$/.test(host))
    return `its service "${host}" is not SERVICE.googleapis.com`;
  if (segments.length === 0) return 'it names a service but no resource';
  return undefined;
}

/**
 * What makes a full (`//SERVICE/...`) or relative (`projects/P/...`) resource name other than
 * canonical: white space, anything a URL would decode, resolve or cut (see resource-paths.ts), an
 * empty, `.` or `..` segment, or a trailing slash. Google Cloud compares names exactly, case included.
 */
export function resourceNameShapeProblem(name: string): string | undefined {
  const path = name.startsWith('//') ? name.slice(2) : `/${name}`;
  if (!mayReadOtherwise(path) && !/\s/.test(name)) return undefined;
  const space = name.search(/\s/);
  if (space >= 0) return `it holds white space at character ${space + 1}`;
  const unread = unreadCharacter(name);
  if (unread) return unread;
  const start = name.startsWith('//') ? 2 : 0;
  const segments = name.slice(start).split('/');
  let at = start;
  for (const [i, segment] of segments.entries()) {
    if (segment === '' && !(start === 2 && i === 0)) {
      if (i === segments.length - 1 && i > 0) return 'it ends with /';
      return `it has an empty segment: two slashes at characters ${at}–${at + 1}`;
    }
    const dot = dotSegment(segment);
    if (dot) return `its segment "${segment}" (at character ${at + 1}) is a dot segment, ${dot}`;
    at += segment.length + 1;
  }
  return undefined;
}

/** The service of a well-formed full resource name, e.g. `storage.googleapis.com`. */
export function serviceOf(name: string): string {
  return name.slice(2).split('/', 1)[0] ?? '';
}

/**
 * Whether an IAM policy's resource (a grant's scope) is a whole project: `projects/ID`, or the
 * project's full resource name.
 */
export function isProjectPolicy(scope: string): boolean {
  return /^(\/\/cloudresourcemanager\.googleapis\.com\/)?projects\/[^/]+$/.test(scope);
}

import type { AccessLevel } from '../../api/index.js';

/** One resource type of a cloud's access catalogue (see the JSON files beside this module). */
export interface CatalogueEntry {
  type: string;
  description: string;
  /** A regular expression over the grant's `resource`. */
  match: string;
  /** What the grant covers, as templates over `{resource}` (AWS: the ARNs in the statement). */
  scopes?: string[];
  /** AWS: IAM actions. Google Cloud and Azure: exactly one role. */
  access: Record<AccessLevel, string[]>;
}

export interface Catalogue {
  entries: CatalogueEntry[];
}

export interface CatalogueMatch {
  entry: CatalogueEntry;
  permissions: string[];
  scopes: string[];
}

/** Compiles a catalogue once; `lookup` finds the entry for a resource and expands its scopes. */
export function compileCatalogue(
  catalogue: Catalogue,
): (resource: string, access: AccessLevel) => CatalogueMatch | undefined {
  const compiled = catalogue.entries.map((entry) => ({ entry, regex: new RegExp(entry.match) }));
  return (resource, access) => {
    const hit = compiled.find((c) => c.regex.test(resource));
    if (!hit) return undefined;
    return {
      entry: hit.entry,
      permissions: [...hit.entry.access[access]],
      scopes: (hit.entry.scopes ?? ['{resource}']).map((s) => s.replaceAll('{resource}', resource)),
    };
  };
}

export function describeCatalogue(catalogue: Catalogue): string {
  return catalogue.entries.map((e) => e.type).join(', ');
}

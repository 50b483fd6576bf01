import type { AccessLevel } from '../../api/index.js';

/** One resource type of a cloud's access catalogue (see the JSON files beside this module). */
export interface CatalogueEntry {
  type: string;
  description: string;
  /** A regular expression over the grant's `resource`; named groups fill the templates below. */
  match: string;
  /** AWS: what the grant covers, as templates (the ARNs in the statement). */
  scopes?: string[];
  /** Google Cloud: which IAM policy holds the grant. */
  placement?: 'project' | 'serviceAccount';
  /** Google Cloud: the IAM condition that narrows a project binding to this resource. */
  condition?: string;
  /** Set when the cloud cannot express a grant on this resource type: why, and what to do instead. */
  unsupported?: string;
  /** AWS: IAM actions. Google Cloud and Azure: exactly one role. */
  access: Record<AccessLevel, string[]>;
}

export interface Catalogue {
  entries: CatalogueEntry[];
}

export interface CatalogueMatch {
  entry: CatalogueEntry;
  /** Named groups of the match, plus `resource`. */
  values: Record<string, string>;
}

/** Compiles a catalogue once; the result finds the entry for a resource. */
export function compileCatalogue(catalogue: Catalogue): (resource: string) => CatalogueMatch | undefined {
  const compiled = catalogue.entries.map((entry) => ({ entry, regex: new RegExp(entry.match) }));
  return (resource) => {
    for (const { entry, regex } of compiled) {
      const match = regex.exec(resource);
      if (match) return { entry, values: { ...(match.groups ?? {}), resource } };
    }
    return undefined;
  };
}

/** Fills `{name}` placeholders; an unknown name is an error in the catalogue, not in the grant. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined)
      throw new Error(`catalogue template ${template} names {${name}}, which has no value`);
    return value;
  });
}

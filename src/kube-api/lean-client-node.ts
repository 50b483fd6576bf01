import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * What client-node's KubeConfig module takes from its generated API. It imports them from the
 * generated index, which loads every model and API class (about 60 MB of RSS); both live in small
 * modules of their own, which are all KubeConfig needs.
 */
export const GENERATED_NAMES: Readonly<Record<string, string>> = {
  createConfiguration: './gen/configuration.js',
  ServerConfiguration: './gen/servers.js',
};

const GENERATED_INDEX = './gen/index.js';

/**
 * The names a client-node config.js source imports from its generated index, or undefined when it
 * imports none that way (a layout this module does not know).
 */
export function namesImportedFromGeneratedIndex(source: string): string[] | undefined {
  const match = /import\s*\{([^}]*)\}\s*from\s*['"]\.\/gen\/index\.js['"]/.exec(source);
  if (!match?.[1]) return undefined;
  return match[1]
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/** A module re-exporting `names` from their own modules next to `configUrl`. */
export function redirectModule(configUrl: string, names: readonly string[]): string {
  const lines = names.map((name) => {
    const from = new URL(GENERATED_NAMES[name] ?? GENERATED_INDEX, configUrl).href;
    return `export { ${name} } from ${JSON.stringify(from)};`;
  });
  return `data:text/javascript,${encodeURIComponent(lines.join('\n'))}`;
}

/**
 * Makes client-node's config.js load only the generated modules it uses instead of the generated
 * index. Must run before anything imports client-node (the entry point calls it, then imports the
 * rest). It checks the installed config.js first: if that imports anything else from the index, or
 * in a way this does not recognise, nothing is redirected and client-node loads as published (more
 * memory, same behaviour). Returns whether the redirect is in place.
 */
export function registerLeanClientNode(): boolean {
  let configUrl: string;
  let names: string[] | undefined;
  try {
    configUrl = import.meta.resolve('@kubernetes/client-node/dist/config.js');
    names = namesImportedFromGeneratedIndex(readFileSync(fileURLToPath(configUrl), 'utf8'));
  } catch {
    // A layout this does not know (no dist/config.js to read): client-node loads as published.
    return false;
  }
  if (!names || names.some((name) => !(name in GENERATED_NAMES))) return false;
  const redirect = redirectModule(configUrl, names);
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier === GENERATED_INDEX && context.parentURL === configUrl)
        return { url: redirect, format: 'module', shortCircuit: true };
      return nextResolve(specifier, context);
    },
  });
  return true;
}

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  GENERATED_NAMES,
  namesImportedFromGeneratedIndex,
  redirectModule,
} from '../../../src/kube-api/lean-client-node.js';

const configUrl = import.meta.resolve('@kubernetes/client-node/dist/config.js');

describe('namesImportedFromGeneratedIndex', () => {
  it('finds what the installed client-node config.js takes from its generated index, all of it redirectable', () => {
    const names = namesImportedFromGeneratedIndex(readFileSync(fileURLToPath(configUrl), 'utf8'));
    expect(names).toEqual(['createConfiguration', 'ServerConfiguration']);
    expect(names?.every((name) => name in GENERATED_NAMES)).toBe(true);
  });

  it('reads a multi-line import with a trailing comma, and reports a source without one', () => {
    expect(
      namesImportedFromGeneratedIndex(
        "import {\n  createConfiguration,\n  ApiException,\n} from './gen/index.js';",
      ),
    ).toEqual(['createConfiguration', 'ApiException']);
    expect(
      namesImportedFromGeneratedIndex("import { createConfiguration } from './gen/configuration.js';"),
    ).toBe(undefined);
  });
});

describe('redirectModule', () => {
  it('loads a working KubeConfig without the generated index', () => {
    const redirect = redirectModule(configUrl, ['createConfiguration', 'ServerConfiguration']);
    // A fresh Node process: the hook must be in place before client-node is first imported.
    const script = `
      import { registerHooks } from 'node:module';
      const loaded = [];
      registerHooks({
        resolve(specifier, context, next) {
          if (specifier === './gen/index.js' && context.parentURL === ${JSON.stringify(configUrl)})
            return { url: ${JSON.stringify(redirect)}, format: 'module', shortCircuit: true };
          return next(specifier, context);
        },
        load(url, context, next) { loaded.push(url); return next(url, context); },
      });
      const { KubeConfig } = await import(${JSON.stringify(configUrl)});
      const kc = new KubeConfig();
      kc.loadFromClusterAndUser({ name: 'c', server: 'https://example.test:6443', skipTLSVerify: false }, { name: 'u', token: 't0ken' });
      const options = { headers: {} };
      await kc.applyToHTTPSOptions(options);
      console.log(JSON.stringify({
        server: kc.getCurrentCluster().server,
        authorization: options.headers.Authorization,
        generatedIndex: loaded.some((url) => url.endsWith('/dist/gen/index.js')),
        generatedModules: loaded.filter((url) => url.includes('/dist/gen/')).length,
      }));`;
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
    ) as Record<string, unknown>;
    expect(out).toMatchObject({
      server: 'https://example.test:6443',
      authorization: 'Bearer t0ken',
      generatedIndex: false,
    });
    expect(out.generatedModules).toBeLessThan(20);
  });
});

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ensureGoTool } from '../go-tools.js';
import type { Manifest } from '../kube-manifests.js';
import { goModuleVersion } from './go-module.js';

export const CHART_DIR = fileURLToPath(new URL('../../../charts/keyless/', import.meta.url));

/** helm, built from the helm.sh/helm/v4 version pinned in tools/helm/go.mod. */
export async function ensureHelm(): Promise<string> {
  const version = goModuleVersion('helm', 'helm.sh/helm/v4');
  return ensureGoTool({
    name: 'helm',
    packagePath: 'helm.sh/helm/v4/cmd/helm',
    ldflags: `-s -w -X helm.sh/helm/v4/internal/version.version=${version}`,
  });
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool with a private HOME-like environment, so no user's config or repositories leak in. */
export function run(
  executable: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      executable,
      args,
      { env: { PATH: process.env.PATH ?? '', ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`cannot run ${executable} ${args.join(' ')}`, { cause: error }));
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/** One helm per test file, with its config, cache and data under a temporary directory. */
export class Helm {
  private constructor(
    private readonly executable: string,
    private readonly home: string,
  ) {}

  static async start(): Promise<Helm> {
    return new Helm(await ensureHelm(), await mkdtemp(join(tmpdir(), 'keyless-helm-')));
  }

  async stop(): Promise<void> {
    await rm(this.home, { recursive: true, force: true });
  }

  run(args: string[]): Promise<CommandResult> {
    return run(this.executable, args, {
      HELM_CONFIG_HOME: join(this.home, 'config'),
      HELM_CACHE_HOME: join(this.home, 'cache'),
      HELM_DATA_HOME: join(this.home, 'data'),
    });
  }

  /** A values file holding these values (JSON is YAML), for `-f`. */
  async valuesFile(values: unknown): Promise<string> {
    const path = join(await mkdtemp(join(this.home, 'values-')), 'values.yaml');
    await writeFile(path, JSON.stringify(values, null, 2));
    return path;
  }

  async lint(values: unknown): Promise<CommandResult> {
    return this.run(['lint', '--strict', CHART_DIR, '-f', await this.valuesFile(values)]);
  }

  /** `helm template`, failing with helm's own message when helm refuses. */
  async template(values: unknown, release: { name: string; namespace: string }): Promise<CommandResult> {
    return this.run([
      'template',
      release.name,
      CHART_DIR,
      '--namespace',
      release.namespace,
      '-f',
      await this.valuesFile(values),
    ]);
  }

  /** The objects `helm template` renders (templates only: helm prints crds/ only with --include-crds). */
  async render(values: unknown, release: { name: string; namespace: string }): Promise<Manifest[]> {
    const result = await this.template(values, release);
    if (result.code !== 0) throw new Error(`helm template exited with ${result.code}: ${result.stderr}`);
    return parseManifests(result.stdout);
  }
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`not YAML: ${document.errors[0]?.message}`);
      return document.toJS() as Manifest | null;
    })
    .filter((object): object is Manifest => object !== null);
}

/**
 * `kubectl keyless …` as a user runs it: the built plugin (dist/, from `npm run build`) on PATH as
 * `kubectl-keyless`, found and run by the real kubectl, with a kubeconfig of the test's choosing
 * (the admin's, or a ServiceAccount token's with its own RBAC).
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { KubeClient } from '../../src/kube-api/client.js';
import type { ControlPlane } from './control-plane/index.js';
import { apply } from './kube-manifests.js';

const PLUGIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export interface PluginRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PluginRunOptions {
  /** KUBECONFIG for this run; default: the runner's. */
  kubeconfig?: string;
  env?: Record<string, string>;
}

export type KubectlKeyless = (args: readonly string[], options?: PluginRunOptions) => Promise<PluginRun>;

/**
 * A directory holding `kubectl-keyless`, linked to the built plugin and made executable as npm's
 * install of the package's `bin` makes it, for PATH.
 */
export function pluginBinDir(workDir: string): string {
  const dir = join(workDir, 'plugin-bin');
  mkdirSync(dir, { recursive: true });
  chmodSync(PLUGIN, 0o755);
  symlinkSync(PLUGIN, join(dir, 'kubectl-keyless'));
  return dir;
}

/**
 * Runs `kubectl keyless ARGS` with PATH holding the plugin and this Node.js (its `#!/usr/bin/env
 * node` line finds it), HOME in the work dir (no ~/.kube/config), and KUBECONFIG set; resolves
 * with the exit code and both outputs, whatever the code.
 */
export function kubectlKeylessFor(
  kubectl: string,
  binDir: string,
  workDir: string,
  kubeconfig: string,
): KubectlKeyless {
  return (args, options = {}) =>
    new Promise((resolve, reject) => {
      const env = {
        PATH: [binDir, dirname(process.execPath), process.env.PATH ?? ''].join(':'),
        HOME: workDir,
        KUBECONFIG: options.kubeconfig ?? kubeconfig,
        ...options.env,
      };
      execFile(
        kubectl,
        ['keyless', ...args],
        { env, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? error.code : 0;
          if (typeof code !== 'number') {
            reject(new Error(`kubectl keyless ${args.join(' ')} did not run`, { cause: error }));
            return;
          }
          resolve({ code, stdout, stderr });
        },
      );
    });
}

/**
 * A kubeconfig that authenticates as ServiceAccount `namespace/name` with a TokenRequest token, its
 * context's namespace set to `namespace`; the ServiceAccount is created if needed. Written to `file`.
 */
export async function serviceAccountKubeconfig(
  admin: KubeClient,
  controlPlane: ControlPlane,
  namespace: string,
  name: string,
  file: string,
): Promise<string> {
  await apply(admin, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
  const review = await admin.request<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    },
  );
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'test',
          cluster: {
            server: controlPlane.server,
            'certificate-authority-data': Buffer.from(controlPlane.caPem).toString('base64'),
          },
        },
      ],
      users: [{ name, user: { token: review.status.token } }],
      contexts: [{ name, context: { cluster: 'test', user: name, namespace } }],
      'current-context': name,
    }),
  );
  return file;
}

/**
 * Runs `kubectl keyless ARGS` on a pseudo-terminal `columns` wide, as util-linux's script(1) gives
 * one, and resolves with what the terminal showed.
 */
export function kubectlKeylessOnTerminal(
  kubectl: string,
  binDir: string,
  workDir: string,
  kubeconfig: string,
): (args: readonly string[], columns: number, env?: Record<string, string>) => Promise<string> {
  return (args, columns, env = {}) =>
    new Promise((resolve, reject) => {
      const command = `stty cols ${columns}; ${[kubectl, 'keyless', ...args].map(shellQuote).join(' ')}`;
      execFile(
        'script',
        ['-qec', command, '/dev/null'],
        {
          env: {
            PATH: [binDir, dirname(process.execPath), process.env.PATH ?? ''].join(':'),
            HOME: workDir,
            KUBECONFIG: kubeconfig,
            TERM: 'xterm',
            ...env,
          },
        },
        (error, stdout) => {
          if (error && typeof error.code !== 'number') {
            reject(
              new Error('script(1) from util-linux is needed to give kubectl a terminal', { cause: error }),
            );
          } else {
            resolve(stdout);
          }
        },
      );
    });
}

function shellQuote(word: string): string {
  return /^[\w./:=-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

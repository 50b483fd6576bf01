/**
 * The real kubectl, built from the same k8s.io/kubernetes module as the API server (see
 * control-plane/go-build.ts), run as a user runs it: its own process, the admin kubeconfig.
 *
 *   describeWithKubectl('printer columns', (controlPlane, kubectl) => {
 *     it('...', async () => {
 *       const { stdout } = await kubectl(['get', 'wi', '-A']);
 *     });
 *   });
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe } from 'vitest';
import {
  type ControlPlane,
  type ControlPlaneOptions,
  controlPlaneSource,
  describeWithControlPlane,
} from './control-plane/index.js';

const execFileAsync = promisify(execFile);

export interface KubectlOutput {
  readonly stdout: string;
  readonly stderr: string;
}

export type Kubectl = (args: readonly string[]) => Promise<KubectlOutput>;

/** Where kubectl is, from the control plane's source; undefined with k3s or prebuilt binaries lacking it. */
export function kubectlPath(): string | undefined {
  const source = controlPlaneSource();
  return source.kind === 'binaries' ? source.kubectl : undefined;
}

/** `kubectl --kubeconfig <admin> ...` with its discovery cache in the control plane's work dir. */
export function kubectlFor(executable: string, controlPlane: () => ControlPlane): Kubectl {
  return async (args) => {
    const cp = controlPlane();
    const argv = [
      '--kubeconfig',
      cp.kubeconfigPath,
      '--cache-dir',
      join(cp.workDir, 'kubectl-cache'),
      ...args,
    ];
    try {
      return await execFileAsync(executable, argv, { maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      const { stderr, code } = error as { stderr?: string; code?: number };
      throw new Error(`kubectl ${args.join(' ')} exited with ${code}: ${stderr?.trim() || '(no output)'}`, {
        cause: error,
      });
    }
  };
}

/**
 * A suite with its own control plane and kubectl. Without kubectl it skips with one line (under
 * CI=true it fails, as the control-plane suites do).
 */
export function describeWithKubectl(
  name: string,
  body: (controlPlane: () => ControlPlane, kubectl: Kubectl) => void,
  options: ControlPlaneOptions = {},
): void {
  const executable = kubectlPath();
  const source = controlPlaneSource();
  if (!executable && source.kind !== 'unavailable') {
    const why =
      source.kind === 'k3s'
        ? 'the k3s control plane comes without it'
        : `${source.origin} (${source.dir}) has no kubectl and go is not on PATH to build it`;
    if (process.env.CI === 'true') throw new Error(`${name}: no kubectl: ${why}`);
    console.warn(
      `[kubectl] skipping "${name}": no kubectl (${why}); install Go to build it from tools/control-plane`,
    );
    describe.skip(name, () => {});
    return;
  }
  // With no control plane at all, describeWithControlPlane skips (or fails) before kubectl runs.
  describeWithControlPlane(
    name,
    (controlPlane) => body(controlPlane, kubectlFor(executable ?? 'kubectl', controlPlane)),
    options,
  );
}

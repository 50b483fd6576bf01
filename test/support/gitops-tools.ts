/**
 * The tools GitOps users' controllers read Keyless objects with, built from tools/: cli-utils'
 * kstatus (what Flux's `wait: true` and health checks use) and gopher-lua running the Argo CD
 * customizations in gitops/argocd/ as Argo CD runs them.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureGoTool } from './go-tools.js';

export const ARGO_CUSTOMIZATIONS = fileURLToPath(
  new URL('../../gitops/argocd/resource_customizations/keyless.dev/', import.meta.url),
);

export type KstatusStatus = 'InProgress' | 'Failed' | 'Current' | 'Terminating' | 'NotFound' | 'Unknown';
export interface KstatusVerdict {
  kind: string;
  namespace?: string;
  name: string;
  status: KstatusStatus;
  message: string;
}

export interface ArgoHealth {
  status: 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';
  message?: string;
}

export interface ArgoCase {
  dir: string;
  suite: 'health' | 'discovery' | 'action';
  action?: string;
  input: string;
  want: unknown;
  got: unknown;
  ok: boolean;
  error?: string;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(executable: string, args: string[], input: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(executable, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      if (error && code === -1) reject(new Error(`${executable} ${args.join(' ')} failed`, { cause: error }));
      else resolve({ code, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

function lines<T>(stdout: string): T[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

function check(what: string, result: Run): string {
  if (result.code !== 0) throw new Error(`${what} exited with ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** cli-utils' `status.Compute` of each object, in order. */
export async function kstatusOf(objects: readonly object[]): Promise<KstatusVerdict[]> {
  const tool = await ensureGoTool({ name: 'kstatus' });
  const input = objects.map((object) => JSON.stringify(object)).join('\n');
  return lines<KstatusVerdict>(check('kstatus', await run(tool, [], input)));
}

const clockArgs = (now?: string) => (now ? ['-now', now] : []);

/** The health Argo CD gives `object` with the customization of `kind`. */
export async function argoHealthOf(kind: string, object: object, now?: string): Promise<ArgoHealth> {
  const tool = await ensureGoTool({ name: 'argo-health' });
  const args = [...clockArgs(now), 'health', `${ARGO_CUSTOMIZATIONS}${kind}`];
  return JSON.parse(check('argo-health health', await run(tool, args, JSON.stringify(object)))) as ArgoHealth;
}

/** `object` after the Argo CD action `name` of `kind`'s customization, with `params`. */
export async function argoAction<T extends object>(
  kind: string,
  name: string,
  object: T,
  params: Record<string, string> = {},
  now?: string,
): Promise<T> {
  const tool = await ensureGoTool({ name: 'argo-health' });
  const pairs = Object.entries(params).map(([key, value]) => `${key}=${value}`);
  const args = [...clockArgs(now), 'action', `${ARGO_CUSTOMIZATIONS}${kind}`, name, ...pairs];
  return JSON.parse(check(`argo-health action ${name}`, await run(tool, args, JSON.stringify(object)))) as T;
}

/** Every case of the customizations' health_test.yaml and actions/action_test.yaml. */
export async function argoTestCases(kinds: readonly string[], now: string): Promise<ArgoCase[]> {
  const tool = await ensureGoTool({ name: 'argo-health' });
  const result = await run(
    tool,
    ['-now', now, 'test', ...kinds.map((k) => `${ARGO_CUSTOMIZATIONS}${k}`)],
    '',
  );
  if (result.stderr.trim() !== '') throw new Error(`argo-health test: ${result.stderr.trim()}`);
  return lines<ArgoCase>(result.stdout);
}

/**
 * Reasons that only Azure or Google Cloud produce and that the Azure and Google Cloud GitOps suite
 * drives for real (the AWS suite leaves them to it).
 */
export const DRIVEN_ON_AZURE_AND_GCP = [
  'RoleNotFound',
  'ResourceGroupNotFound',
  'SubscriptionNotFound',
  'RoleAssignmentUpdateNotPermitted',
  'UnsupportedResource',
  'InvalidAccount',
] as const;

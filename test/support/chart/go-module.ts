import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { goEnv } from '../control-plane/go-build.js';
import { TOOLS_DIR } from '../go-tools.js';

const execFileAsync = promisify(execFile);

/** The version of `module` that tools/<tool>/go.mod requires. */
export function goModuleVersion(tool: string, module: string): string {
  const goMod = readFileSync(join(TOOLS_DIR, tool, 'go.mod'), 'utf8');
  const escaped = module.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const version = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(goMod)?.[1];
  if (!version) throw new Error(`tools/${tool}/go.mod does not require ${module}`);
  return version;
}

/**
 * The directory of a Go module's files, as `go mod download` unpacks it from the module proxy at
 * the version tools/<tool>/go.mod requires, checked against tools/<tool>/go.sum.
 */
export async function goModuleDir(tool: string, module: string): Promise<string> {
  const cwd = join(TOOLS_DIR, tool);
  try {
    const { stdout } = await execFileAsync('go', ['mod', 'download', '-json', module], { cwd, env: goEnv() });
    const { Dir, Error: error } = JSON.parse(stdout) as { Dir?: string; Error?: string };
    if (!Dir) throw new Error(error ?? 'no Dir in the answer');
    return Dir;
  } catch (cause) {
    throw new Error(`go mod download ${module} (in tools/${tool}) failed`, { cause });
  }
}

/**
 * Builds the small Go tools under `tools/<name>/` (each its own Go module) that tests run as a
 * user's tool would be run: helm, cli-utils' kstatus, Argo CD's Lua interpreter, ...
 *
 * A build lands in `$XDG_CACHE_HOME/keyless/go-tools/<name>/<key>/<name>`, where the key hashes the
 * module's sources and the Go version, so an edited tool is rebuilt and an unchanged one is not.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isExecutable } from './control-plane/cache.js';
import { formatElapsed, goVersion, runGo } from './control-plane/go-build.js';
import { withFileLock } from './control-plane/lock.js';

export const TOOLS_DIR = fileURLToPath(new URL('../../tools/', import.meta.url));

export interface GoTool {
  /** The directory under `tools/` and the name of the built executable. */
  readonly name: string;
  /** The package to build, e.g. `helm.sh/helm/v4/cmd/helm`; defaults to the module's own main package. */
  readonly packagePath?: string;
  readonly ldflags?: string;
}

const log = (line: string): void => {
  process.stderr.write(`[go-tools] ${line}\n`);
};

function goToolsCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'keyless', 'go-tools');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /(\.go|^go\.mod|^go\.sum)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function buildKey(tool: GoTool, moduleDir: string, go: string): string {
  const hash = createHash('sha256');
  hash.update(`${go}\0${tool.packagePath ?? '.'}\0${tool.ldflags ?? ''}\0`);
  for (const file of sourceFiles(moduleDir)) {
    hash.update(`${relative(moduleDir, file)}\0`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/** The path of the tool's executable, built first when the cache does not hold this version of it. */
export async function ensureGoTool(tool: GoTool): Promise<string> {
  const moduleDir = join(TOOLS_DIR, tool.name);
  const go = await goVersion('go', moduleDir);
  const toolRoot = join(goToolsCacheRoot(), tool.name);
  const finalDir = join(toolRoot, buildKey(tool, moduleDir, go));
  const executable = join(finalDir, tool.name);
  if (isExecutable(executable)) return executable;
  await mkdir(toolRoot, { recursive: true });
  return withFileLock(join(toolRoot, 'build.lock'), log, async () => {
    if (isExecutable(executable)) return executable;
    const started = Date.now();
    log(`building ${tool.name} from tools/${tool.name}`);
    const tempDir = await mkdtemp(join(toolRoot, '.build-'));
    try {
      const args = ['build', '-v', '-o', join(tempDir, tool.name)];
      if (tool.ldflags) args.push('-ldflags', tool.ldflags);
      args.push(tool.packagePath ?? '.');
      let compiled = 0;
      const result = await runGo('go', args, moduleDir, () => {
        compiled++;
      });
      if (result.code !== 0) {
        const how = result.signal ? `was killed by ${result.signal}` : `exited with ${result.code}`;
        throw new Error(
          `go ${args.join(' ')} (in ${moduleDir}) ${how}:\n${result.otherLines.join('\n') || '(no output)'}`,
        );
      }
      await chmod(tempDir, 0o755);
      await rm(finalDir, { recursive: true, force: true });
      await rename(tempDir, finalDir);
      log(`built ${tool.name} in ${formatElapsed(Date.now() - started)} (${compiled} package(s) compiled)`);
      return executable;
    } catch (error) {
      await rm(tempDir, { recursive: true, force: true });
      throw error;
    }
  });
}

/**
 * `startMoto()`: a moto server (`python -m moto.server`) on 127.0.0.1 for one test file or script.
 * It runs in its own process group under ManagedProcess, so it never outlives the test process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, mentionsPortConflict } from '../control-plane/ports.js';
import { guardDirectory, ManagedProcess, releaseDirectory } from '../control-plane/processes.js';
import { waitUntil } from '../control-plane/wait.js';
import { ensureMoto } from './install.js';

/** The unauthenticated calls `bootstrapAdmin()` makes: CreateUser, PutUserPolicy, CreateAccessKey. */
export const BOOTSTRAP_ACTION_COUNT = 3;

export interface StartMotoOptions {
  /**
   * Enforce IAM: after `initialNoAuthActionCount` unauthenticated calls, every call must be signed by
   * a known access key and allowed by its policies (see `bootstrapAdmin()`). Default false: anything goes.
   */
  readonly enforceIam?: boolean;
  /** moto's INITIAL_NO_AUTH_ACTION_COUNT; only with `enforceIam`. Default `BOOTSTRAP_ACTION_COUNT`. */
  readonly initialNoAuthActionCount?: number;
  /** The venv interpreter from `ensureMoto()`; default: `await ensureMoto()` (installs on first use). */
  readonly python?: string;
  /** Default 30 s. */
  readonly startTimeoutMs?: number;
  /** Keep the work dir (moto.log) after `stop()` or a failed start. Default: `KEYLESS_MOTO_KEEP=1`. */
  readonly keepWorkDir?: boolean;
}

export interface Moto {
  /** `http://127.0.0.1:PORT`: the endpoint for every AWS SDK client (IAM, STS, S3, ...). */
  readonly endpoint: string;
  readonly port: number;
  readonly enforceIam: boolean;
  /** Infinity when IAM is not enforced. */
  readonly initialNoAuthActionCount: number;
  /** Temp dir holding `moto.log`. */
  readonly workDir: string;
  /**
   * Forgets every resource (POST /moto-api/reset). With `enforceIam` the unauthenticated-call budget
   * starts again too, and the admin is gone: call `bootstrapAdmin()` again.
   */
  reset(): Promise<void>;
  logTail(lines?: number): Promise<string>;
  /** Stops the server and removes `workDir`. Safe to call twice. */
  stop(): Promise<void>;
}

const START_ATTEMPTS = 3;
const REQUEST_TIMEOUT_MS = 10_000;

async function motoApi(
  endpoint: string,
  path: string,
  method: 'GET' | 'POST',
  body?: string,
): Promise<string> {
  const url = `${endpoint}/moto-api/${path}`;
  let response: Response;
  try {
    response = await fetch(url, { method, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (cause) {
    throw new Error(`${method} ${url} failed`, { cause });
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

function validate(options: StartMotoOptions): number {
  const count = options.initialNoAuthActionCount;
  if (count === undefined) return options.enforceIam ? BOOTSTRAP_ACTION_COUNT : Number.POSITIVE_INFINITY;
  if (!options.enforceIam) throw new Error('initialNoAuthActionCount only applies with enforceIam: true');
  if (!Number.isInteger(count) || count < 0) {
    throw new Error(`initialNoAuthActionCount must be an integer >= 0, not ${count}`);
  }
  return count;
}

async function launch(
  python: string,
  workDir: string,
  timeoutMs: number,
): Promise<{ server: ManagedProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const [port = 0] = await freePorts(1);
    const server = await ManagedProcess.start({
      name: 'moto',
      command: python,
      args: ['-m', 'moto.server', '--host', '127.0.0.1', '--port', String(port)],
      logPath: join(workDir, 'moto.log'),
    });
    const endpoint = `http://127.0.0.1:${port}`;
    // Werkzeug logs this once it has bound the port; until then, whoever answers there is not this moto.
    const listening = `Running on ${endpoint}`;
    const probe = async () => {
      if (!(await server.logTail(20)).includes(listening)) throw new Error('moto has not bound its port yet');
      return motoApi(endpoint, 'config', 'GET');
    };
    try {
      await waitUntil('moto to answer', probe, { timeoutMs, process: server });
      return { server, port };
    } catch (error) {
      await server.stop(2000);
      const log = await server.logTail();
      // Another process may have taken the port between freePorts() and moto binding it.
      if (attempt < START_ATTEMPTS && mentionsPortConflict(log)) continue;
      throw new Error(`moto did not start on ${endpoint}; moto.log:\n${log}`, { cause: error });
    }
  }
}

export async function startMoto(options: StartMotoOptions = {}): Promise<Moto> {
  const initialNoAuthActionCount = validate(options);
  const enforceIam = options.enforceIam ?? false;
  const python = options.python ?? (await ensureMoto()).python;
  const keepWorkDir = options.keepWorkDir ?? process.env.KEYLESS_MOTO_KEEP === '1';
  const workDir = await mkdtemp(join(tmpdir(), 'keyless-moto-'));
  if (!keepWorkDir) guardDirectory(workDir);

  const removeWorkDir = async () => {
    if (keepWorkDir) return;
    await rm(workDir, { recursive: true, force: true });
    releaseDirectory(workDir);
  };

  let launched: Awaited<ReturnType<typeof launch>>;
  try {
    launched = await launch(python, workDir, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await removeWorkDir();
    throw error;
  }
  const { server, port } = launched;
  const endpoint = `http://127.0.0.1:${port}`;

  // moto's reset-auth sets INITIAL_NO_AUTH_ACTION_COUNT and zeroes its counter of unauthenticated calls.
  const armAuth = async () => {
    if (enforceIam) await motoApi(endpoint, 'reset-auth', 'POST', String(initialNoAuthActionCount));
  };
  try {
    await armAuth();
  } catch (error) {
    await server.stop();
    await removeWorkDir();
    throw error;
  }

  let stopped = false;
  return {
    endpoint,
    port,
    enforceIam,
    initialNoAuthActionCount,
    workDir,
    async reset() {
      await motoApi(endpoint, 'reset', 'POST');
      await armAuth();
    },
    logTail: (lines) => server.logTail(lines),
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop(5000);
      await removeWorkDir();
    },
  };
}

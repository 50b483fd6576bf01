/** Is a Docker engine answering? (`GET /_ping` on DOCKER_HOST or the usual sockets.) */
import { existsSync } from 'node:fs';
import http from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';

type Endpoint = { socketPath: string } | { host: string; port: number };

function candidateEndpoints(env: NodeJS.ProcessEnv): Endpoint[] {
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost?.startsWith('unix://')) return [{ socketPath: dockerHost.slice('unix://'.length) }];
  if (dockerHost?.startsWith('tcp://')) {
    const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
    return [{ host: url.hostname, port: Number(url.port || 2375) }];
  }
  const sockets = [
    '/var/run/docker.sock',
    env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'docker.sock') : undefined,
    join(homedir(), '.docker', 'run', 'docker.sock'),
  ];
  return sockets
    .filter((path): path is string => !!path && existsSync(path))
    .map((socketPath) => ({ socketPath }));
}

function ping(endpoint: Endpoint, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ ...endpoint, path: '/_ping', timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    // Refused, missing or timed out all mean "no engine here"; the caller explains what to do.
    request.on('error', () => resolve(false));
  });
}

export async function isDockerEngineReachable(
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 2000,
): Promise<boolean> {
  for (const endpoint of candidateEndpoints(env)) {
    if (await ping(endpoint, timeoutMs)) return true;
  }
  return false;
}

import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Machine } from '../results.js';

/** The machine the figures came from (they are only comparable as ratios within one run). */
export function describeMachine(kubeApiServer: string): Machine {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    os: `${distribution()} (${os.type()} ${os.release()}, ${os.arch()})`,
    node: process.version,
    kubeApiServer,
  };
}

function distribution(): string {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1] ?? os.platform();
  } catch {
    return os.platform();
  }
}

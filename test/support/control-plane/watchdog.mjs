// Runs beside a test process (spawned by processes.ts) and cleans up after it if it goes away
// without stopping its control planes: when its stdin closes (the parent exited, even by SIGKILL)
// or it gets SIGINT/SIGTERM/SIGHUP, it SIGKILLs every registered process group and removes every
// registered directory. Protocol on stdin, one command per line:
//   pid <n> | unpid <n> | dir <absolute path> | undir <absolute path>
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

const pids = new Set();
const dirs = new Set();
let cleaning = false;

function signalGroup(pid, signal) {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // already gone
    }
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

async function cleanUp() {
  if (cleaning) return;
  cleaning = true;
  for (const pid of pids) signalGroup(pid, 'SIGKILL');
  // Zombies count as alive until init reaps them, so do not wait forever.
  const deadline = Date.now() + 2000;
  while ([...pids].some(isAlive) && Date.now() < deadline) await sleep(50);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  process.exit(0);
}

function handle(line) {
  const space = line.indexOf(' ');
  const command = line.slice(0, space);
  const argument = line.slice(space + 1);
  if (command === 'pid') pids.add(Number(argument));
  else if (command === 'unpid') pids.delete(Number(argument));
  else if (command === 'dir') dirs.add(argument);
  else if (command === 'undir') dirs.delete(argument);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void cleanUp());
const lines = createInterface({ input: process.stdin });
lines.on('line', handle);
lines.on('close', () => void cleanUp());

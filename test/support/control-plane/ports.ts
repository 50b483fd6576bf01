/** Free TCP ports on 127.0.0.1, never the same one twice within this process. */
import { createServer } from 'node:net';

const handedOut = new Set<number>();

function bindEphemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}

export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await bindEphemeralPort();
    if (port > 0 && !handedOut.has(port)) {
      handedOut.add(port);
      ports.push(port);
    }
  }
  return ports;
}

/** True when a process log says it could not bind because a port was taken meanwhile. */
export function mentionsPortConflict(log: string): boolean {
  return /address already in use/i.test(log);
}

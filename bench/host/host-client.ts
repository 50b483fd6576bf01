import { type ChildProcess, fork } from 'node:child_process';
import { OPERATOR_NODE_OPTIONS } from '../../src/runtime/node-options.js';
import { podHeapMiB } from '../pod-heap.js';
import { HOST_ENTRY } from './build.js';
import type { Command, Replies, Reply, Request } from './protocol.js';

type Args<C extends Command['cmd']> = Extract<Command, { cmd: C }> extends { args: infer A } ? [A] : [];

/** The driver's handle on one operator host process. */
export class OperatorHost {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited: Error | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.result);
      else waiter.reject(new Error(`operator host: ${reply.error}`));
    });
    child.on('exit', (code, signal) => {
      this.exited = new Error(`operator host exited (code ${code}, signal ${signal})`);
      for (const waiter of this.pending.values()) waiter.reject(this.exited);
      this.pending.clear();
    });
  }

  /**
   * A fresh Node process running the compiled host (see build.ts), with the operator's own Node
   * options (`gc()` exposed among them: memory figures are taken after a full GC) and the heap Node
   * gives it in a pod with this memory limit (pod-heap.ts).
   */
  static spawn(memoryLimitMiB: number): OperatorHost {
    const child = fork(HOST_ENTRY, [], {
      execArgv: [...OPERATOR_NODE_OPTIONS, `--max-old-space-size=${podHeapMiB(memoryLimitMiB)}`],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new OperatorHost(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send<C extends Command['cmd']>(cmd: C, ...args: Args<C>): Promise<Replies[C]> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    const command = (args.length > 0 ? { cmd, args: args[0] } : { cmd }) as Command;
    return new Promise<Replies[C]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, command } satisfies Request);
    });
  }

  /** Ends the process (its operator, if still running, is simply dropped). */
  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    await gone;
  }
}

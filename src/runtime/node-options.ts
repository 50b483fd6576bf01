/**
 * The V8 options the operator's Node process runs with: the image's entrypoint and `npm start` pass
 * them (a unit test holds the two to this list), and the benchmark and the end-to-end tests start the
 * operator with them too.
 *
 * `--max-semi-space-size=4`: V8 grows each young-generation semi-space up to 16 MB under load and
 * keeps the heap it grew into committed afterwards (at 16 MB, measured by bench/ at 1,000 + 1,000
 * objects: 169 MB of RSS after converging, against 129 MB at 1 MB). Too small costs CPU instead:
 * each scavenge copies what the reconciles in flight still hold, and what survives two is promoted
 * and left for a full collection. Measured by bench/ converging 10,000 + 10,000 in two quick runs,
 * one after the other, with --trace-gc: at 4 MB 1,891 scavenges (3.7 s) against 7,646 (9.6 s) at
 * 1 MB, 6.4 s of collector pauses and incremental marking against 16.3 s, 50.6 operator CPU s
 * against 75.3, and 134 MB of RSS once idle against 136.
 *
 * `--max-opt=2`: Maglev is the top tier; TurboFan never runs. Its first compilation alone (during
 * start-up, of Node's own path normalisation) brings about 6 MB of the Node binary's compiler code
 * into memory, and each later one adds its zone and code. The operator's CPU goes to JSON, HTTP and
 * TLS, which are built into Node, not to long-running JavaScript loops. Measured by bench/ in one
 * quick run against one without it: 5.6 MB less idle with the AWS SDK (79 MB against 85), 7 MB
 * less after converging 300 pairs on moto and 10 MB less after 1,000 + 1,000, for no more operator
 * CPU (9.6 s against 10.2 s for the 1,000 pairs; 19.5 ms against 20.6 ms per pair on moto).
 *
 * `--expose-gc`: the operator's MemoryTrimmer (memory-trim.ts) gives the system back the heap
 * pages V8 keeps pooled after a burst of work, with one last-resort collection; nothing else calls
 * gc().
 */
export const OPERATOR_NODE_OPTIONS: readonly string[] = [
  '--max-semi-space-size=4',
  '--max-opt=2',
  '--expose-gc',
];

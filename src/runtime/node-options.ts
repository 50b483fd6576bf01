/**
 * The V8 options the operator's Node process runs with: the image's entrypoint and `npm start` pass
 * them (a unit test holds the two to this list), and the benchmark and the end-to-end tests start the
 * operator with them too.
 *
 * `--max-semi-space-size=1`: V8 grows each young-generation semi-space up to 16 MB under load and
 * keeps the heap it grew into committed afterwards; the operator's allocations are small and
 * short-lived (one reconcile's requests and answers), so 1 MB semi-spaces suffice. Measured by
 * bench/ at 1,000 + 1,000 objects: 129 MB of RSS after converging instead of 169 MB, for the same
 * CPU (8.9 s against 8.8 s).
 * At 10,000 + 10,000 they cost CPU: each scavenge copies what the reconciles in flight still hold,
 * and what survives two is promoted and left for a full collection. Two quick bench/ runs, one after
 * the other, with --trace-gc: 7,646 scavenges (9.6 s) and 16.3 s of collector time in all at 1 MB,
 * 1,891 (3.7 s) and 6.4 s at 4 MB, for 75.3 against 50.6 operator CPU s. 4 MB is not taken: small
 * installations pay for it (97 against 93 MB idle at 500 + 500), and the idle operator with the AWS
 * SDK read 81 MB in a full run with it, above the 80 MB the operator is held to.
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
  '--max-semi-space-size=1',
  '--max-opt=2',
  '--expose-gc',
];

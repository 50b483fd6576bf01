import { setTimeout as sleep } from 'node:timers/promises';
import { RECONCILE_REQUEST_ANNOTATION } from '../../reconcilers/requests.js';
import { type StateView, stateOf } from '../../views/index.js';
import type { CommandContext } from '../command-context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { shortRef } from '../object-ref.js';
import type { KeylessObject } from '../related.js';
import { structured } from '../render/structured.js';
import { STATE_TONES } from '../render/style.js';
import { duration } from '../render/time.js';

const POLL_MS = 250;

/**
 * `reconcile KIND/NAME`: sets keyless.dev/reconcile-requested-at to now, so Keyless observes the
 * cloud afresh; with --wait, waits until status.lastHandledReconcileAt answers it (exit 1 when it
 * does not within --timeout) and prints the state that reconcile left.
 */
export async function reconcile(ctx: CommandContext): Promise<ExitCode> {
  const { options, session } = ctx;
  const target = options.target;
  if (!target) throw new CliError('reconcile needs KIND/NAME', EXIT.usage);
  const requestedAt = new Date(ctx.now()).toISOString();
  const ref = shortRef(target.kind, target.name);
  // Confirms the object exists first: a merge patch of a missing object would say less.
  await ctx.api.get<KeylessObject>(target.kind, session.namespace, target.name);
  await ctx.api.mergePatch(target.kind, session.namespace, target.name, {
    metadata: { annotations: { [RECONCILE_REQUEST_ANNOTATION]: requestedAt } },
  });
  const base = { kind: target.kind, name: target.name, requestedAt };
  if (!options.wait) {
    if (options.output !== 'text') ctx.stdout(structured(options.output, base));
    else ctx.stdout(`${ref}: reconcile requested (${RECONCILE_REQUEST_ANNOTATION}=${requestedAt})\n`);
    return EXIT.ok;
  }

  const started = ctx.now();
  let state: StateView | undefined;
  while (ctx.now() - started < options.timeoutMs) {
    const object = await ctx.api.get<KeylessObject & { status?: { lastHandledReconcileAt?: string } }>(
      target.kind,
      session.namespace,
      target.name,
    );
    if (object.status?.lastHandledReconcileAt === requestedAt) {
      state = stateOf(object);
      break;
    }
    await sleep(POLL_MS);
  }
  const took = ctx.now() - started;
  if (options.output !== 'text') {
    ctx.stdout(
      structured(options.output, { ...base, answered: state !== undefined, ...(state ? { state } : {}) }),
    );
  } else if (state) {
    ctx.stdout(
      `${ref}: Keyless observed it again within ${duration(Math.max(took, 1000))}: ` +
        `${ctx.style.paint(STATE_TONES[state.state], state.state)} (${state.reason}): ${state.message}\n`,
    );
  }
  if (!state) {
    ctx.stderr(
      `error: Keyless has not answered ${RECONCILE_REQUEST_ANNOTATION}=${requestedAt} within ${duration(options.timeoutMs)}: ` +
        'is the operator running? (kubectl -n keyless-system get deploy keyless-operator)',
    );
    return EXIT.findings;
  }
  return EXIT.ok;
}

import { stringify } from 'yaml';
import type { IdentityBinding, WorkloadIdentity } from '../../api/index.js';
import type { CommandContext } from '../command-context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import type { Readable } from '../keyless-api.js';
import { shortRef } from '../object-ref.js';
import { bindingDiff, type CloudDiff, identityDiff } from '../plan/cloud-diff.js';
import { readRelated } from '../related.js';
import { DRIFT_LEGEND, driftLines } from '../render/drift.js';
import { structured } from '../render/structured.js';
import type { Style } from '../render/style.js';

/**
 * `diff KIND/NAME`: what Keyless would change in the cloud now, like `kubectl diff` for the cloud
 * side: the drift status records, or for a spec not yet in the cloud the documents Keyless would
 * send, built by the providers' own pure mapping. No cloud is called. Exit 1 when the cloud differs.
 */
export async function diff(ctx: CommandContext): Promise<ExitCode> {
  const { options, session } = ctx;
  const target = options.target;
  if (!target) throw new CliError('diff needs KIND/NAME', EXIT.usage);
  const related = await readRelated(ctx.api, target, session.namespace, { events: false });
  const account = need(related.account, 'the CloudAccount');
  const clusterName = options.clusterName;
  const result: CloudDiff =
    target.kind === 'WorkloadIdentity'
      ? identityDiff({ identity: related.object as WorkloadIdentity, account, clusterName })
      : bindingDiff({
          binding: related.object as IdentityBinding,
          identity: need(related.identity, 'the WorkloadIdentity'),
          account,
          siblings: related.bindings?.ok ? related.bindings.value : [],
          clusterName,
          now: ctx.now(),
        });
  const exit = result.differs ? EXIT.findings : EXIT.ok;
  const where = { kind: target.kind, namespace: related.object.metadata.namespace, name: target.name };
  if (options.output !== 'text') {
    ctx.stdout(structured(options.output, { ...where, ...result }));
    return exit;
  }
  ctx.stdout(`${render(shortRef(target.kind, target.name), where.namespace, result, ctx.style)}\n`);
  return exit;
}

function need<T>(read: Readable<T> | undefined, what: string): T {
  if (!read) throw new CliError(`${what} is not known`, EXIT.denied);
  if (!read.ok) throw new CliError(`the plan needs ${what}: ${read.why}`, EXIT.denied);
  return read.value;
}

function render(ref: string, namespace: string | undefined, result: CloudDiff, style: Style): string {
  const lines = [
    style.paint('heading', `${ref}${namespace ? ` (namespace ${namespace})` : ''}: ${result.headline}`),
  ];
  const mark = (op: ' ' | '-' | '+', text: string, indent = '') =>
    style.paint(op === '+' ? 'added' : op === '-' ? 'removed' : undefined, `${op} ${indent}${text}`);
  lines.push(...driftLines(result.drift, style));
  if (result.drift.length > 0) lines.push(`  (${DRIFT_LEGEND})`);
  const changed = (result.grants ?? []).filter((g) => g.now !== g.planned);
  if (result.verdict === 'update' && changed.length > 0) {
    for (const grant of changed) {
      lines.push(`~ ${grant.resource}`);
      if (grant.now !== undefined) lines.push(mark('-', grant.now, '  '));
      if (grant.planned !== undefined) lines.push(mark('+', grant.planned, '  '));
    }
  }
  if (result.planned) {
    for (const line of stringify(result.planned.document, { lineWidth: 0 }).trimEnd().split('\n')) {
      lines.push(mark('+', line));
    }
  }
  for (const problem of result.refusals ?? []) lines.push(`  ${problem}`);
  for (const note of result.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

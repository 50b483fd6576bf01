import type { CloudAccount, IdentityBinding, WorkloadIdentity } from '../../api/index.js';
import {
  buildReadModel,
  type ConditionView,
  type Field,
  findView,
  type ObjectView,
} from '../../views/index.js';
import { type AdviceFacts, adviceFor } from '../advice.js';
import type { CommandContext } from '../command-context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { GUARDRAIL_REASONS, type GuardrailFinding, guardrailFinding } from '../guardrail-finding.js';
import { shortRef } from '../object-ref.js';
import { type Related, readRelated } from '../related.js';
import { DRIFT_LEGEND, driftLines } from '../render/drift.js';
import { structured } from '../render/structured.js';
import { STATE_TONES, type Style } from '../render/style.js';
import { cut, oneLine } from '../render/table.js';
import { ago } from '../render/time.js';
import { proseWithCommands, wrap } from '../render/wrap.js';

const WIDTH = 100;

/** `why KIND/NAME`: the failing condition, the guardrail rule, the drift, the Events and what to do. */
export async function why(ctx: CommandContext): Promise<ExitCode> {
  const { options, session } = ctx;
  const target = options.target;
  if (!target) throw new CliError('why needs KIND/NAME', EXIT.usage);
  const related = await readRelated(ctx.api, target, session.namespace, { events: true });
  const now = ctx.now();
  const account = related.account?.ok ? related.account.value : undefined;
  const identity =
    target.kind === 'WorkloadIdentity'
      ? (related.object as WorkloadIdentity)
      : related.identity?.ok
        ? related.identity.value
        : undefined;
  const bindings = related.bindings?.ok
    ? related.bindings.value
    : target.kind === 'IdentityBinding'
      ? [related.object as IdentityBinding]
      : [];
  const model = buildReadModel({
    accounts: target.kind === 'CloudAccount' ? [related.object as CloudAccount] : account ? [account] : [],
    identities: identity ? [identity] : [],
    bindings,
    events: related.events?.ok ? related.events.value : [],
    now,
  });
  const namespace = related.object.metadata.namespace ?? '';
  const view = findView(model, target.kind, namespace, target.name);
  if (!view)
    throw new CliError(`${shortRef(target.kind, target.name)} could not be read back`, EXIT.apiError);
  const accountView = model.accounts.find((a) => a.name === (identity?.spec.accountRef.name ?? target.name));
  const guardrails =
    account && accountView && identity && view.kind !== 'CloudAccount'
      ? guardrailFinding(
          related.object as WorkloadIdentity | IdentityBinding,
          identity,
          account,
          accountView.guardrails,
          view.reason,
        )
      : undefined;
  const facts: AdviceFacts = {
    kind: view.kind,
    ...(view.namespace ? { namespace: view.namespace } : {}),
    name: view.name,
    ...(view.account ? { account: view.account } : {}),
    ...(view.kind === 'IdentityBinding' ? { identity: view.identity } : {}),
    ...(identity ? { driftPolicy: identity.spec.driftPolicy ?? 'Correct' } : {}),
  };
  const advice = adviceFor(view.reason, facts);
  const notShown = unreadable(related);

  if (options.output !== 'text') {
    ctx.stdout(
      structured(options.output, {
        object: view,
        ...(accountView && view.kind !== 'CloudAccount' ? { account: accountView } : {}),
        ...(view.kind === 'IdentityBinding' && model.identities[0] ? { identity: model.identities[0] } : {}),
        ...(view.kind === 'WorkloadIdentity' ? { bindings: model.bindings } : {}),
        ...(guardrails ? { guardrails } : {}),
        advice,
        notShown,
      }),
    );
  } else {
    ctx.stdout(`${render(view, guardrails, advice, now, ctx.style, options.columns).join('\n')}\n`);
  }
  for (const line of notShown) ctx.stderr(`note: ${line}`);
  return EXIT.ok;
}

function unreadable(related: Related): string[] {
  const parts: [string, { ok: boolean; why?: string } | undefined][] = [
    ['the CloudAccount', related.account],
    ['the WorkloadIdentity', related.identity],
    ['the bindings', related.bindings],
    ['the Events', related.events],
  ];
  return parts.flatMap(([what, read]) => (read && !read.ok ? [`${what} not shown: ${read.why}`] : []));
}

function render(
  view: ObjectView,
  guardrails: GuardrailFinding | undefined,
  advice: string,
  now: number,
  style: Style,
  columns: number | undefined,
): string[] {
  const width = Math.min(columns ?? WIDTH, WIDTH);
  const lines: string[] = [];
  const ref = shortRef(view.kind, view.name);
  const since = view.since ? ` since ${ago(view.since, now)}` : '';
  lines.push(
    `${style.paint('heading', ref)}${view.namespace ? ` in namespace ${view.namespace}` : ''}: ` +
      `${style.paint(STATE_TONES[view.state], view.state)}${since} (${view.reason})`,
  );
  const about = aboutFields(view);
  const labelWidth = Math.max(...about.map((f) => f.label.length));
  for (const field of about) lines.push(`  ${field.label.padEnd(labelWidth)}  ${field.value}`);

  const wrong = failingConditions(view.conditions);
  lines.push('', style.paint('heading', 'What is wrong'));
  if (wrong.length === 0) {
    lines.push(...wrap(`Nothing: ${view.message}`, width, '  '));
  } else {
    const refusedBelow = (guardrails?.problems.length ?? 0) > 0;
    for (const group of wrong) {
      lines.push(`  ${group.types} (${group.reason}), since ${ago(group.since, now)}:`);
      const message =
        refusedBelow && GUARDRAIL_REASONS.has(group.reason)
          ? `the account's guardrails refuse ${view.kind === 'IdentityBinding' ? 'the grants' : 'the identity'}, as below.`
          : group.message;
      lines.push(...wrap(message, width, '    '));
    }
  }

  if (guardrails) {
    lines.push('', style.paint('heading', `Guardrails (CloudAccount ${guardrails.account})`));
    if (guardrails.problems.length > 0) {
      for (const problem of guardrails.problems) lines.push(...wrapBullet(problem, width));
    } else if (GUARDRAIL_REASONS.has(view.reason)) {
      lines.push(
        ...wrap(
          `The account's guardrails allow this now; Keyless judges it again at its next look (kubectl keyless reconcile ${ref}${view.namespace ? ` -n ${view.namespace}` : ''}).`,
          width,
          '  ',
        ),
      );
    } else {
      lines.push("  The grants pass the account's guardrails.");
    }
    if (guardrails.rules.length > 0) {
      lines.push(
        ...wrap(
          `The account's guardrails: ${guardrails.rules.map((r) => `${r.label} ${r.value}`).join('; ')}.`,
          width,
          '  ',
        ),
      );
    }
  }

  if (view.drift.length > 0) {
    lines.push('', style.paint('heading', `Drift (${DRIFT_LEGEND})`), ...driftLines(view.drift, style, '  '));
  }

  lines.push('', style.paint('heading', 'Events (newest first)'));
  if (view.events.length === 0) {
    lines.push('  none (Events last an hour on most clusters)');
  } else {
    for (const event of view.events) {
      const age = ago(event.time, now).padEnd(5);
      const type = event.type.padEnd(7);
      const plain = `  ${age} ${type} ${event.reason}: `;
      const head = `  ${age} ${style.paint(event.type === 'Warning' ? 'warn' : undefined, type)} ${event.reason}: `;
      const count = event.count > 1 ? ` (${event.count} times)` : '';
      lines.push(head + cut(oneLine(event.message) + count, Math.max(width - plain.length, 20)));
    }
  }

  lines.push('', style.paint('heading', 'What to do'));
  lines.push(...proseWithCommands(advice, width, '  '));
  return lines;
}

/** What the object is about: its cloud and account, principal, identity, bindings, end. */
function aboutFields(view: ObjectView): Field[] {
  if (view.kind === 'CloudAccount') {
    return [
      { label: 'cloud', value: view.cloud },
      { label: view.target.label, value: view.target.value },
      ...(view.callerIdentity ? [{ label: 'operator', value: view.callerIdentity }] : []),
      ...(view.identityCount !== undefined
        ? [{ label: 'identities', value: String(view.identityCount) }]
        : []),
      ...(view.guardrails.length > 0
        ? [{ label: 'guardrails', value: view.guardrails.map((g) => `${g.label} ${g.value}`).join('; ') }]
        : []),
    ];
  }
  const account = {
    label: 'account',
    value: `ca/${view.account ?? '?'}${view.cloud ? ` (${view.cloud})` : ''}`,
  };
  if (view.kind === 'WorkloadIdentity') {
    return [
      account,
      { label: 'principal', value: view.principal?.id ?? 'not in the cloud yet' },
      {
        label: 'bindings',
        value: view.bindings.length > 0 ? view.bindings.map((b) => `ib/${b}`).join(', ') : 'none',
      },
    ];
  }
  return [
    { label: 'identity', value: `wi/${view.identity}` },
    account,
    ...(view.principal ? [{ label: 'principal', value: view.principal }] : []),
    ...(view.expiresAt ? [{ label: 'grants end', value: view.expiresAt }] : []),
  ];
}

/** Conditions not in their good state, those saying the same thing together (Synced and Ready often do). */
function failingConditions(conditions: readonly ConditionView[]) {
  // Ready and Synced are good when True; Drifted, Reconciling and Stalled when absent or False.
  const bad = conditions.filter((c) =>
    c.type === 'Ready' || c.type === 'Synced' ? c.status !== 'True' : c.status === 'True',
  );
  const groups: { types: string; reason: string; message: string; since: string }[] = [];
  for (const c of bad) {
    const same = groups.find((g) => g.reason === c.reason && g.message === c.message);
    if (same) same.types += `, ${c.type}=${c.status}`;
    else
      groups.push({ types: `${c.type}=${c.status}`, reason: c.reason, message: c.message, since: c.since });
  }
  return groups;
}

function wrapBullet(text: string, width: number): string[] {
  const [first, ...rest] = wrap(text, width, '    ');
  return first ? [`  - ${first.trimStart()}`, ...rest] : [];
}

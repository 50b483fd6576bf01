import {
  type AttentionItem,
  allViews,
  attentionOf,
  type ObjectState,
  type ObjectView,
  STATES,
} from '../../views/index.js';
import type { CommandContext } from '../command-context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { shortRef } from '../object-ref.js';
import { type NotShown, readScope, type Scope } from '../read-scope.js';
import { structured } from '../render/structured.js';
import { STATE_TONES } from '../render/style.js';
import { type Cell, renderTable } from '../render/table.js';
import { ago, relative } from '../render/time.js';

const HEADERS = ['NAMESPACE', 'NAME', 'STATE', 'REASON', 'CLOUD', 'SINCE', 'DETAIL'];
/** On a narrow terminal, CLOUD and then SINCE make room for DETAIL. */
const DROPPABLE = [HEADERS.indexOf('CLOUD'), HEADERS.indexOf('SINCE')];
const KIND_ORDER = ['CloudAccount', 'WorkloadIdentity', 'IdentityBinding'];

/** `status`: what needs attention first (stalled, failing, drifted, ending within 24 h), then everything. */
export async function status(ctx: CommandContext): Promise<ExitCode> {
  const { options, session } = ctx;
  const scope: Scope = options.allNamespaces
    ? { allNamespaces: true }
    : { allNamespaces: false, namespace: session.namespace };
  const now = ctx.now();
  const read = await readScope(ctx.api, scope, session.namespace, now);
  const attention = attentionOf(read.model);
  const views = allViews(read.model);
  const failing = views.filter((v) => v.state === 'Stalled' || v.state === 'Failing');
  const exit = failing.length > 0 ? EXIT.findings : EXIT.ok;

  if (options.output !== 'text') {
    ctx.stdout(
      structured(options.output, {
        scope: scope.allNamespaces ? { allNamespaces: true } : { namespace: scope.namespace },
        namespaces: read.namespaces,
        summary: {
          objects: views.length,
          attention: attention.length,
          failing: failing.length,
          byState: byState(views),
        },
        attention: attention.map(({ view, ...item }) => ({
          ...item,
          kind: view.kind,
          ...(view.namespace ? { namespace: view.namespace } : {}),
          name: view.name,
        })),
        objects: views,
        notShown: read.notShown,
      }),
    );
    for (const line of notShownLines(read.notShown)) ctx.stderr(line);
    return exit;
  }

  for (const line of notShownLines(read.notShown)) ctx.stderr(line);
  if (views.length === 0) {
    ctx.stderr(
      scope.allNamespaces
        ? 'No Keyless objects found.'
        : `No Keyless objects found in namespace ${scope.namespace}.`,
    );
    return exit;
  }
  const flagged = new Set(attention.map((item) => item.view));
  const rest = views.filter((v) => !flagged.has(v)).sort(byStateKindName);
  const rows = [...attention.map((item) => attentionRow(item, now)), ...rest.map((v) => plainRow(v, now))];
  ctx.stdout(`${renderTable(HEADERS, rows, ctx.style, options.columns, DROPPABLE)}\n`);
  ctx.stdout(`\n${summaryLine(views, attention, scope)}\n`);
  return exit;
}

function attentionRow(item: AttentionItem, now: number): Cell[] {
  const { view } = item;
  return [
    { text: view.namespace ?? '' },
    { text: shortRef(view.kind, view.name), tone: 'heading' },
    { text: item.why, tone: STATE_TONES[item.why] },
    { text: view.reason },
    { text: view.cloud ?? '-' },
    { text: ago(view.since, now) },
    {
      text:
        item.why === 'Expiring' && view.kind === 'IdentityBinding'
          ? endsLine(view.expiresAt, now)
          : item.message,
    },
  ];
}

function plainRow(view: ObjectView, now: number): Cell[] {
  return [
    { text: view.namespace ?? '' },
    { text: shortRef(view.kind, view.name) },
    { text: view.state, tone: STATE_TONES[view.state] },
    { text: view.reason },
    { text: view.cloud ?? '-' },
    { text: ago(view.since, now) },
    { text: view.state === 'Ready' || view.state === 'Drifted' ? facts(view, now) : view.message },
  ];
}

/** What a person looks for beside a healthy object: the account, the principal, the identity and end. */
function facts(view: ObjectView, now: number): string {
  if (view.kind === 'CloudAccount') return `${view.target.label} ${view.target.value}`;
  if (view.kind === 'WorkloadIdentity') {
    const who = view.principal?.id ?? view.externalName ?? '-';
    if (view.lastUsed) return `${who}, last used ${relative(view.lastUsed, now)}`;
    return view.unused ? `${who}, never used (Unused)` : who;
  }
  const identity = `wi/${view.identity}`;
  const unused = view.unusedGrants?.length ? `, unused: ${view.unusedGrants.join(', ')}` : '';
  return view.expiresAt ? `${identity}, ${endsLine(view.expiresAt, now)}${unused}` : `${identity}${unused}`;
}

function endsLine(expiresAt: string | undefined, now: number): string {
  return expiresAt ? `grants end ${relative(expiresAt, now)} (${expiresAt})` : 'grants end';
}

function byStateKindName(a: ObjectView, b: ObjectView): number {
  return (
    STATES.indexOf(a.state) - STATES.indexOf(b.state) ||
    KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
    (a.namespace ?? '').localeCompare(b.namespace ?? '') ||
    a.name.localeCompare(b.name)
  );
}

function byState(views: readonly ObjectView[]): Partial<Record<ObjectState, number>> {
  const counts: Partial<Record<ObjectState, number>> = {};
  for (const view of views) counts[view.state] = (counts[view.state] ?? 0) + 1;
  return counts;
}

function summaryLine(
  views: readonly ObjectView[],
  attention: readonly AttentionItem[],
  scope: Scope,
): string {
  const where = scope.allNamespaces ? 'in all namespaces you may list' : `in namespace ${scope.namespace}`;
  const counts = STATES.flatMap((state) => {
    const n = views.filter((v) => v.state === state).length;
    return n > 0 ? [`${n} ${state.toLowerCase()}`] : [];
  });
  const expiring = attention.filter((item) => item.why === 'Expiring').length;
  const needs =
    attention.length === 0
      ? 'Nothing needs attention'
      : `${attention.length} need${attention.length === 1 ? 's' : ''} attention`;
  return `${needs}; ${views.length} objects ${where}: ${[...counts, ...(expiring > 0 ? [`${expiring} ending within 24h`] : [])].join(', ')}.`;
}

const LISTED_NAMESPACES = 10;

/** One line per thing RBAC kept out, for stderr. */
export function notShownLines(notShown: readonly NotShown[]): string[] {
  return notShown.map((n) => {
    if (n.namespaces === undefined) return `note: ${n.resource} not shown: ${n.why}`;
    if (n.namespaces.length === 0) return `note: ${n.resource}: ${n.why}`;
    const listed =
      n.namespaces.length > LISTED_NAMESPACES
        ? `${n.namespaces.slice(0, LISTED_NAMESPACES).join(', ')} and ${n.namespaces.length - LISTED_NAMESPACES} more`
        : n.namespaces.join(', ');
    return `note: ${n.resource} in namespace${n.namespaces.length > 1 ? 's' : ''} ${listed} not shown: ${n.why}`;
  });
}

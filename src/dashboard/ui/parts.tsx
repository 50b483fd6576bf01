import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { CloudChange, ConditionTransition, ConditionView, KeylessEvent } from '../../views/index.js';
import { absolute, relative } from './format.js';

/** A condition's status, coloured by whether it is good news: Drifted, Reconciling, Stalled and Unused are abnormal when True. */
function ConditionStatus({ type, status }: { type: string; status: string }) {
  const abnormalWhenTrue =
    type === 'Drifted' || type === 'Reconciling' || type === 'Stalled' || type === 'Unused';
  const good = status === (abnormalWhenTrue ? 'False' : 'True');
  return (
    <span class={`status ${status === 'Unknown' ? 'status-unknown' : good ? 'status-good' : 'status-bad'}`}>
      {status}
    </span>
  );
}

export function StateBadge({ state }: { state: string }) {
  return <span class={`badge badge-${state.toLowerCase()}`}>{state}</span>;
}

export function Time({ time, now }: { time: string | undefined; now: number }) {
  if (!time) return <span class="muted">–</span>;
  return (
    <time dateTime={time} title={absolute(time)}>
      {relative(time, now)}
    </time>
  );
}

export function Section({ title, id, children }: { title: string; id: string; children: ComponentChildren }) {
  return (
    <section class="panel" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/** A value with a button that copies it (or selects it, where the clipboard is not offered). */
export function Copyable({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  const copy = (event: Event) => {
    const code = (event.currentTarget as HTMLElement).parentElement?.querySelector('code');
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(
        () => {
          setCopied(true);
          setTimeout(() => setCopied(false), 1500);
        },
        () => select(code),
      );
    } else {
      select(code);
    }
  };
  return (
    <span class="copyable">
      <code>{value}</code>
      <button type="button" class="copy" onClick={copy} aria-label={`Copy ${label}`}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </span>
  );
}

function select(element: Element | null | undefined) {
  if (!element) return;
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
}

export function Fields({ fields }: { fields: { label: string; value: ComponentChildren }[] }) {
  return (
    <dl class="fields">
      {fields.map((f) => (
        <div key={f.label}>
          <dt>{f.label}</dt>
          <dd>{f.value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function ConditionsTable({ conditions, now }: { conditions: ConditionView[]; now: number }) {
  if (conditions.length === 0) return <p class="muted">No conditions yet: Keyless has not reconciled it.</p>;
  return (
    <table>
      <caption class="visually-hidden">Conditions</caption>
      <thead>
        <tr>
          <th scope="col">Type</th>
          <th scope="col">Status</th>
          <th scope="col">Reason</th>
          <th scope="col">Message</th>
          <th scope="col">Since</th>
        </tr>
      </thead>
      <tbody>
        {conditions.map((c) => (
          <tr key={c.type}>
            <th scope="row">{c.type}</th>
            <td>
              <ConditionStatus type={c.type} status={c.status} />
            </td>
            <td>{c.reason}</td>
            <td class="message">{c.message}</td>
            <td>
              <Time time={c.since} now={now} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function HistoryList({ history, now }: { history: ConditionTransition[]; now: number }) {
  if (history.length === 0) return null;
  return (
    <>
      <h3>History</h3>
      <ol class="timeline" aria-label="Condition history, oldest first">
        {history.map((h, i) => (
          <li key={`${h.type}-${h.time}-${i}`}>
            <Time time={h.time} now={now} /> <strong>{h.type}</strong>{' '}
            <ConditionStatus type={h.type} status={h.status} /> {h.reason}
            {h.message ? <span class="muted"> — {h.message}</span> : null}
          </li>
        ))}
      </ol>
    </>
  );
}

export function DriftTable({ drift }: { drift: { field: string; wanted: string; found: string }[] }) {
  if (drift.length === 0) return <p class="muted">The cloud matches the spec.</p>;
  return (
    <table>
      <caption class="visually-hidden">Drift</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Wanted (spec)</th>
          <th scope="col">Found (cloud)</th>
        </tr>
      </thead>
      <tbody>
        {drift.map((d) => (
          <tr key={d.field}>
            <th scope="row">
              <code>{d.field}</code>
            </th>
            <td>
              <code class="wanted">{d.wanted}</code>
            </td>
            <td>
              <code class="found">{d.found}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function EventsList({ events, now }: { events: KeylessEvent[]; now: number }) {
  if (events.length === 0) return <p class="muted">No recent Events.</p>;
  return (
    <ul class="events">
      {events.map((e, i) => (
        <li key={`${e.time}-${i}`} class={e.type === 'Warning' ? 'warning' : ''}>
          <span class={`event-type event-${e.type.toLowerCase()}`}>{e.type}</span> <strong>{e.reason}</strong>
          {e.count > 1 ? <span class="muted"> ×{e.count}</span> : null} <Time time={e.time} now={now} />
          <div class="message">{e.message}</div>
        </li>
      ))}
    </ul>
  );
}

export function ChangesList({ changes, now }: { changes: CloudChange[]; now: number }) {
  if (changes.length === 0) return <p class="muted">No cloud changes made by this replica.</p>;
  return (
    <ul class="events">
      {changes.map((c, i) => (
        <li key={`${c.time}-${i}`} class={c.outcome === 'success' ? '' : 'warning'}>
          <code>{c.operation}</code> in {c.provider} account {c.account}: <strong>{c.outcome}</strong>{' '}
          <Time time={c.time} now={now} />
          {c.error ? <div class="message">{c.error}</div> : null}
        </li>
      ))}
    </ul>
  );
}

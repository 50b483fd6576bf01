import type { AccountView, BindingView, IdentityView } from '../../views/index.js';
import type { AccountAnswer, BindingAnswer, IdentityAnswer } from '../api-types.js';
import { objectPath as objectPathOf } from '../paths.js';
import { CLOUD_LABELS, routeOf } from './format.js';
import {
  ChangesList,
  ConditionsTable,
  Copyable,
  DriftTable,
  EventsList,
  Fields,
  HistoryList,
  Section,
  StateBadge,
  Time,
} from './parts.js';

function Header({ view, now }: { view: AccountView | IdentityView | BindingView; now: number }) {
  return (
    <header class="detail-head">
      <a href="#/" class="back">
        ← All objects
      </a>
      <h2 id="detail-title" tabIndex={-1}>
        <span class="kind">{view.kind}</span>{' '}
        {view.namespace ? <span class="namespace">{view.namespace}/</span> : null}
        {view.name}
      </h2>
      <div class="state-line">
        <StateBadge state={view.state} /> <strong>{view.reason}</strong> <span class="muted">since</span>{' '}
        <Time time={view.since} now={now} />
        {view.deleting ? (
          <span class="badge badge-failing">
            Deleting since <Time time={view.deleting} now={now} />
          </span>
        ) : null}
      </div>
      <p class="message">{view.message}</p>
    </header>
  );
}

function Common({ view, now }: { view: AccountView | IdentityView | BindingView; now: number }) {
  return (
    <>
      <Section title="Conditions" id="conditions-title">
        <ConditionsTable conditions={view.conditions} now={now} />
        <HistoryList history={view.history} now={now} />
      </Section>
      {view.kind !== 'CloudAccount' ? (
        <Section title="Drift" id="drift-title">
          <DriftTable drift={view.drift} />
        </Section>
      ) : null}
      <Section title="Events" id="events-title">
        <EventsList events={view.events} now={now} />
      </Section>
      <Section title="Cloud changes" id="changes-title">
        <ChangesList changes={view.changes} now={now} />
      </Section>
    </>
  );
}

function GrantsTable({ binding, now }: { binding: BindingView; now: number }) {
  const unused = new Set(binding.unusedGrants ?? []);
  // The column shows once a review has said something of the grants.
  const reviewed = unused.size > 0 || binding.grants.some((g) => g.lastUsed);
  return (
    <table>
      <caption class="visually-hidden">Grants of {binding.name}</caption>
      <thead>
        <tr>
          <th scope="col">Resource</th>
          <th scope="col">Asked for</th>
          <th scope="col">The cloud allows</th>
          {reviewed ? <th scope="col">Last used</th> : null}
        </tr>
      </thead>
      <tbody>
        {binding.grants.map((g, i) => (
          <tr key={`${g.resource}-${i}`}>
            <th scope="row">
              <code>{g.resource}</code>
            </th>
            <td>{g.wanted}</td>
            <td>{g.allowed ? <code>{g.allowed}</code> : <span class="muted">nothing applied</span>}</td>
            {reviewed ? (
              <td>
                {g.lastUsed ? <Time time={g.lastUsed} now={now} /> : <span class="muted">never seen</span>}
                {unused.has(g.resource) ? (
                  <>
                    {' '}
                    <span class="badge badge-drifted">unused</span>
                  </>
                ) : null}
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What the usage review says of an identity, for its page. */
function lastUse(identity: IdentityView, now: number) {
  if (identity.usageUnavailable) return <span class="muted">{identity.usageUnavailable}</span>;
  if (!identity.reviewedAt) return <span class="muted">not reviewed yet</span>;
  if (identity.usageError && !identity.lastUsed)
    return <span class="muted">the last review failed: {identity.usageError}</span>;
  return (
    <>
      {identity.lastUsed ? <Time time={identity.lastUsed} now={now} /> : 'never seen used'}
      {identity.unused ? (
        <>
          {' '}
          <span class="badge badge-drifted">unused</span>
        </>
      ) : null}{' '}
      <span class="muted">
        (reviewed <Time time={identity.reviewedAt} now={now} />)
      </span>
    </>
  );
}

export function IdentityPage({ answer, now }: { answer: IdentityAnswer; now: number }) {
  const { identity, account, bindings } = answer;
  return (
    <article aria-labelledby="detail-title">
      <Header view={identity} now={now} />
      <Section title="In the cloud" id="cloud-title">
        <Fields
          fields={[
            {
              label: 'Cloud',
              value: `${identity.cloud ? CLOUD_LABELS[identity.cloud] : 'unknown'}`,
            },
            {
              label: 'Account',
              value: (
                <a href={routeOf(objectPathOf('CloudAccount', '', identity.account))}>{identity.account}</a>
              ),
            },
            ...(account ? [{ label: account.target.label, value: account.target.value }] : []),
            ...(identity.externalName
              ? [
                  {
                    label: 'Cloud name',
                    value: <Copyable label="cloud name" value={identity.externalName} />,
                  },
                ]
              : []),
            ...(identity.principal?.id
              ? [{ label: 'Principal', value: <Copyable label="principal" value={identity.principal.id} /> }]
              : [{ label: 'Principal', value: <span class="muted">not created yet</span> }]),
            ...(identity.principal?.fields ?? [])
              .filter((f) => f.value !== identity.principal?.id)
              .map((f) => ({ label: f.label, value: <Copyable label={f.label} value={f.value} /> })),
            {
              label: 'Policies',
              value: `drift ${identity.driftPolicy}, ${identity.managementPolicy}, on delete ${identity.deletionPolicy}`,
            },
            { label: 'Last used', value: lastUse(identity, now) },
          ]}
        />
      </Section>
      <Section title="Who may assume it" id="subjects-title">
        <ul class="subjects">
          {identity.subjects.map((s) => (
            <li key={`${s.kind}-${s.name}`}>
              <strong>{s.kind === 'ServiceAccount' ? `ServiceAccount ${s.name}` : s.name}</strong>:{' '}
              <code>{s.trusted}</code>
            </li>
          ))}
        </ul>
      </Section>
      {identity.attachments ? (
        <Section title="Runs as this identity" id="attachments-title">
          <table>
            <caption class="visually-hidden">
              Functions and Pod Identity associations of {identity.name}
            </caption>
            <thead>
              <tr>
                <th scope="col">What</th>
                <th scope="col">State</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {identity.attachments.map((a) => (
                <tr key={`${a.kind}-${a.target}`}>
                  <th scope="row">
                    {a.kind === 'Function' ? 'Function' : 'Pod Identity association for ServiceAccount'}{' '}
                    <code>{a.target}</code>
                  </th>
                  <td>{a.state}</td>
                  <td>{a.message ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      ) : null}
      <Section title="Bindings and what each grants" id="bindings-title">
        {bindings.length === 0 ? (
          <p class="muted">No IdentityBinding you may see grants this identity anything.</p>
        ) : (
          bindings.map((b) => (
            <div class="binding" key={b.name}>
              <h3>
                <a href={routeOf(objectPathOf('IdentityBinding', b.namespace, b.name))}>{b.name}</a>{' '}
                <StateBadge state={b.state} /> <span class="muted">{b.reason}</span>
                {b.expiresAt ? (
                  <span class="muted">
                    {' '}
                    · ends <Time time={b.expiresAt} now={now} />
                  </span>
                ) : null}
              </h3>
              {b.state === 'Stalled' || b.state === 'Failing' ? <p class="message">{b.message}</p> : null}
              <GrantsTable binding={b} now={now} />
            </div>
          ))
        )}
      </Section>
      <Common view={identity} now={now} />
    </article>
  );
}

export function BindingPage({ answer, now }: { answer: BindingAnswer; now: number }) {
  const { binding, identity } = answer;
  return (
    <article aria-labelledby="detail-title">
      <Header view={binding} now={now} />
      <Section title="Grants" id="grants-title">
        <Fields
          fields={[
            {
              label: 'Identity',
              value: identity ? (
                <a href={routeOf(identity.path)}>{binding.identity}</a>
              ) : (
                `${binding.identity} (not found)`
              ),
            },
            ...(binding.principal
              ? [{ label: 'Principal', value: <Copyable label="principal" value={binding.principal} /> }]
              : []),
            ...(binding.account ? [{ label: 'Account', value: binding.account }] : []),
            {
              label: 'Ends',
              value: binding.expiresAt ? (
                <>
                  <Time time={binding.expiresAt} now={now} /> <span class="muted">({binding.expiresAt})</span>
                </>
              ) : (
                'never (not temporary)'
              ),
            },
          ]}
        />
        <GrantsTable binding={binding} now={now} />
      </Section>
      <Common view={binding} now={now} />
    </article>
  );
}

export function AccountPage({ answer, now }: { answer: AccountAnswer; now: number }) {
  const { account } = answer;
  return (
    <article aria-labelledby="detail-title">
      <Header view={account} now={now} />
      <Section title="Account" id="account-title">
        <Fields
          fields={[
            { label: 'Cloud', value: CLOUD_LABELS[account.cloud] ?? account.cloud },
            {
              label: account.target.label,
              value: <Copyable label={account.target.label} value={account.target.value} />,
            },
            ...(account.callerIdentity
              ? [{ label: 'Keyless acts as', value: <code>{account.callerIdentity}</code> }]
              : []),
            ...(account.identityCount !== undefined
              ? [{ label: 'Identities', value: String(account.identityCount) }]
              : []),
          ]}
        />
      </Section>
      <Section title="Guardrails" id="guardrails-title">
        {account.guardrails.length === 0 ? (
          <p class="muted">None beyond the built-in escalation rules.</p>
        ) : (
          <Fields
            fields={account.guardrails.map((g) => ({ label: g.label, value: <code>{g.value}</code> }))}
          />
        )}
      </Section>
      <Common view={account} now={now} />
    </article>
  );
}

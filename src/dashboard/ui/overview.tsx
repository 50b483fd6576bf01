import type { AttentionEntry, ObjectSummary, Overview } from '../api-types.js';
import { CLOUD_LABELS, routeOf } from './format.js';
import { StateBadge, Time } from './parts.js';

export type Filters = Record<'kind' | 'namespace' | 'cloud' | 'account' | 'state' | 'search', string>;

export const NO_FILTERS: Filters = { kind: '', namespace: '', cloud: '', account: '', state: '', search: '' };

const WHY_TEXT: Record<AttentionEntry['why'], string> = {
  Stalled: 'Stalled',
  Failing: 'Failing',
  Drifted: 'Drifted',
  Expiring: 'Ends soon',
};

function ObjectName({ object }: { object: ObjectSummary }) {
  return (
    <a href={routeOf(object.path)} class="object-link">
      {object.namespace ? <span class="namespace">{object.namespace}/</span> : null}
      {object.name}
    </a>
  );
}

function Attention({ overview, now }: { overview: Overview; now: number }) {
  if (overview.attention.length === 0) {
    return (
      <p class="all-good" role="status">
        Nothing needs attention: every object you may see is as declared.
      </p>
    );
  }
  return (
    <ul class="attention">
      {overview.attention.map((a) => (
        <li key={a.object.path} class={`attention-${a.why.toLowerCase()}`}>
          <div class="attention-head">
            <span class={`badge badge-${a.why.toLowerCase()}`}>{WHY_TEXT[a.why]}</span>
            <span class="kind">{a.object.kind}</span>
            <ObjectName object={a.object} />
            <span class="reason">{a.reason}</span>
            <span class="when">
              {a.why === 'Expiring' ? 'ends ' : 'since '}
              <Time time={a.since} now={now} />
            </span>
          </div>
          <p class="message">{a.message}</p>
        </li>
      ))}
    </ul>
  );
}

function Select({
  label,
  name,
  value,
  options,
  onChange,
  render = (v) => v,
}: {
  label: string;
  name: keyof Filters;
  value: string;
  options: string[];
  onChange: (name: keyof Filters, value: string) => void;
  render?: (value: string) => string;
}) {
  const id = `filter-${name}`;
  return (
    <div class="filter">
      <label for={id}>{label}</label>
      <select
        id={id}
        value={value}
        onChange={(e) => onChange(name, (e.currentTarget as HTMLSelectElement).value)}
      >
        <option value="">All</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {render(o)}
          </option>
        ))}
      </select>
    </div>
  );
}

export function OverviewPage({
  overview,
  now,
  filters,
  onFilter,
}: {
  overview: Overview;
  now: number;
  filters: Filters;
  onFilter: (name: keyof Filters, value: string) => void;
}) {
  const { facets } = overview;
  const filtered = Object.values(filters).some((v) => v !== '');
  return (
    <>
      <section class="panel" aria-labelledby="attention-title">
        <h2 id="attention-title">
          Needs attention <span class="count">{overview.attention.length}</span>
        </h2>
        <Attention overview={overview} now={now} />
      </section>
      <section class="panel" aria-labelledby="everything-title">
        <h2 id="everything-title">
          Everything{' '}
          <span class="count">
            {filtered ? `${overview.objects.length} of ${overview.total}` : overview.total}
          </span>
        </h2>
        <search class="filters" aria-label="Filter objects">
          <div class="filter filter-search">
            <label for="filter-search">Name or principal</label>
            <input
              id="filter-search"
              type="search"
              value={filters.search}
              placeholder="orders-api, arn:aws:iam::…"
              onInput={(e) => onFilter('search', (e.currentTarget as HTMLInputElement).value)}
            />
          </div>
          <Select label="Kind" name="kind" value={filters.kind} options={facets.kinds} onChange={onFilter} />
          <Select
            label="Namespace"
            name="namespace"
            value={filters.namespace}
            options={facets.namespaces}
            onChange={onFilter}
          />
          <Select
            label="Cloud"
            name="cloud"
            value={filters.cloud}
            options={facets.clouds}
            onChange={onFilter}
            render={(c) => CLOUD_LABELS[c] ?? c}
          />
          <Select
            label="Account"
            name="account"
            value={filters.account}
            options={facets.accounts}
            onChange={onFilter}
          />
          <Select
            label="State"
            name="state"
            value={filters.state}
            options={facets.states}
            onChange={onFilter}
          />
        </search>
        {overview.objects.length === 0 ? (
          <p class="muted">No object matches these filters.</p>
        ) : (
          <div class="table-scroll">
            <table class="objects">
              <caption class="visually-hidden">Objects matching the filters</caption>
              <thead>
                <tr>
                  <th scope="col">State</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Name</th>
                  <th scope="col">Cloud</th>
                  <th scope="col">Principal</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Since</th>
                </tr>
              </thead>
              <tbody>
                {overview.objects.map((o) => (
                  <tr key={o.path} data-state={o.state}>
                    <td>
                      <StateBadge state={o.state} />
                    </td>
                    <td class="kind">{o.kind}</td>
                    <th scope="row">
                      <ObjectName object={o} />
                    </th>
                    <td>
                      {o.cloud ? CLOUD_LABELS[o.cloud] : ''}
                      {o.account ? <div class="muted">{o.account}</div> : null}
                    </td>
                    <td class="principal">
                      <code>{o.principal ?? ''}</code>
                    </td>
                    <td title={o.message}>
                      {o.reason}
                      {o.drift > 0 ? <div class="muted">{o.drift} fields differ</div> : null}
                      {o.expiresAt ? (
                        <div class="muted">
                          ends <Time time={o.expiresAt} now={now} />
                        </div>
                      ) : null}
                    </td>
                    <td>
                      <Time time={o.since} now={now} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

/** Budgets and caps: each user's and agent's spend this day and month against its caps; set or remove a cap. */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { formatCount, formatTime, formatUsd } from '../format.js';
import { Empty, ErrorBox, Loaded, PageHeader, useAction, useResource } from '../ui/common.js';

interface CapStatus {
  key: string;
  limit: number;
  used: number;
  reserved?: number;
  remaining?: number;
  resets_at?: string;
  source?: string;
}

interface Spend {
  usd: number;
  calls: number;
  tokens: number;
}

interface ScopeBudget {
  scope: string;
  caps: CapStatus[];
  today?: Spend;
  month?: Spend;
}

const KEYS = ['daily_usd', 'monthly_usd', 'tokens_per_window', 'calls_per_window'];

function capValue(key: string, value: number | undefined): string {
  return key.endsWith('_usd') ? formatUsd(value) : formatCount(value);
}

export function BudgetsPage() {
  const budgets = useResource(() => api<{ budgets: ScopeBudget[] }>('/api/v1/budgets'), []);
  return (
    <section aria-labelledby="page-title">
      <PageHeader title="Budgets and caps">
        <button type="button" onClick={budgets.reload}>
          Refresh
        </button>
      </PageHeader>
      <Loaded resource={budgets} what="budgets">
        {(data) =>
          data.budgets.length === 0 ? (
            <Empty>No caps apply and nothing has been spent yet.</Empty>
          ) : (
            <ul class="cards" aria-label="Budgets by user and agent">
              {data.budgets.map((budget) => (
                <li key={budget.scope} class="card">
                  <div class="card-head">
                    <strong>{budget.scope}</strong>
                    <span class="muted small">
                      today {formatUsd(budget.today?.usd)} ({formatCount(budget.today?.calls)} calls) · this
                      month {formatUsd(budget.month?.usd)}
                    </span>
                  </div>
                  {budget.caps.length === 0 ? (
                    <p class="muted small">No caps.</p>
                  ) : (
                    <ul class="meters">
                      {budget.caps.map((cap) => {
                        const share =
                          cap.limit > 0 ? Math.min(1, (cap.used + (cap.reserved ?? 0)) / cap.limit) : 1;
                        return (
                          <li key={cap.key}>
                            <span class="meter-label">
                              <code>{cap.key}</code> {capValue(cap.key, cap.used)} of{' '}
                              {capValue(cap.key, cap.limit)}
                              {cap.reserved ? ` (+${capValue(cap.key, cap.reserved)} reserved)` : ''}
                            </span>
                            <meter
                              min={0}
                              max={1}
                              low={0.7}
                              high={0.9}
                              optimum={0}
                              value={share}
                              aria-label={`${budget.scope} ${cap.key}: ${Math.round(share * 100)}% used`}
                            />
                            <span class="muted small">
                              resets {formatTime(cap.resets_at)}
                              {cap.source ? ` · ${cap.source}` : ''}
                            </span>
                          </li>
                        );
                      })}
                    </ul>
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      <SetCap onSaved={budgets.reload} />
    </section>
  );
}

function SetCap(props: { onSaved: () => void }) {
  const [form, setForm] = useState({ kind: 'user', name: '', key: 'daily_usd', value: '' });
  const action = useAction();
  const [saved, setSaved] = useState<string | undefined>();
  const field = (name: keyof typeof form) => (event: Event) =>
    setForm({ ...form, [name]: (event.target as HTMLInputElement).value });
  const submit = (event: Event) => {
    event.preventDefault();
    setSaved(undefined);
    const value = form.value.trim() === '' ? null : Number(form.value);
    void action
      .run(async () => {
        const answer = await api<{ status?: string }>('/api/v1/budgets', {
          method: 'PUT',
          body: { [form.kind]: form.name, key: form.key, value },
        });
        setSaved(
          answer?.status === 'pending_approval'
            ? `Raising or removing a cap in force needs a second person: the change waits on the Approvals page.`
            : `${value === null ? 'Removed' : 'Set'} ${form.key} for ${form.kind} ${form.name}.`,
        );
      })
      .then((ok) => ok && props.onSaved());
  };
  return (
    <form class="stack card" onSubmit={submit} aria-labelledby="set-cap-title">
      <h2 id="set-cap-title">Set a cap</h2>
      <div class="row">
        <span>
          <label for="cap-kind">For</label>
          <select id="cap-kind" value={form.kind} onChange={field('kind')}>
            <option value="user">a user</option>
            <option value="agent">an agent</option>
          </select>
        </span>
        <span>
          <label for="cap-name">Name</label>
          <input id="cap-name" required value={form.name} onInput={field('name')} />
        </span>
        <span>
          <label for="cap-key">Cap</label>
          <select id="cap-key" value={form.key} onChange={field('key')}>
            {KEYS.map((key) => (
              <option key={key} value={key}>
                {key}
              </option>
            ))}
          </select>
        </span>
        <span>
          <label for="cap-value">Value (empty removes it)</label>
          <input
            id="cap-value"
            type="number"
            min="0"
            step="any"
            value={form.value}
            onInput={field('value')}
          />
        </span>
      </div>
      <ErrorBox error={action.error} />
      {saved ? (
        <p class="success-box" role="status">
          {saved}
        </p>
      ) : null}
      <button type="submit" class="primary" disabled={action.busy}>
        Save
      </button>
    </form>
  );
}

/** The audit chain: entries filtered by type, agent and time, and a verify button naming broken entries. */
import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import type { AuditEntry, AuditVerify } from '../api-types.js';
import { formatTime, shortJson } from '../format.js';
import { ErrorBox, Loaded, PageHeader, useAction, useResource } from '../ui/common.js';
import { Table } from '../ui/table.js';

export function AuditPage() {
  const [filters, setFilters] = useState({ type: '', agent: '', since: '' });
  const [draft, setDraft] = useState(filters);
  const entries = useResource(
    () =>
      api<{ entries: AuditEntry[] }>(
        `/api/v1/audit${query({
          type: filters.type,
          agent: filters.agent,
          since: filters.since ? new Date(filters.since).toISOString() : undefined,
          limit: 200,
        })}`,
      ),
    [filters],
  );
  const [verify, setVerify] = useState<AuditVerify | undefined>();
  const action = useAction();
  const broken = new Map((verify?.problems ?? []).map((problem) => [problem.seq, problem]));
  const field = (name: keyof typeof draft) => (event: Event) =>
    setDraft({ ...draft, [name]: (event.target as HTMLInputElement).value });

  return (
    <section aria-labelledby="page-title">
      <PageHeader title="Audit log">
        <button
          type="button"
          class="primary"
          disabled={action.busy}
          onClick={() =>
            void action.run(async () => {
              setVerify(await api<AuditVerify>('/api/v1/audit/verify'));
              entries.reload();
            })
          }
        >
          {action.busy ? 'Verifying…' : 'Verify chain'}
        </button>
      </PageHeader>
      <ErrorBox error={action.error} what="Verify failed" />
      {verify ? (
        <div class={`verify-result ${verify.ok ? 'verify-ok' : 'verify-broken'}`} role="status">
          {verify.ok ? (
            <p>
              <strong>OK</strong>: the chain is intact ({verify.entries ?? verify.checked} entries checked).
            </p>
          ) : (
            <>
              <p>
                <strong>Broken</strong>: {verify.problems.length} problem
                {verify.problems.length === 1 ? '' : 's'} in {verify.entries ?? verify.checked} entries
                checked.
              </p>
              <ul>
                {verify.problems.map((problem) => (
                  <li key={`${problem.seq}-${problem.kind}`}>
                    Entry #{problem.seq} ({problem.kind}): {problem.message}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      ) : null}
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          setFilters(draft);
        }}
      >
        <span class="pair">
          <label for="audit-type">Type</label>
          <input id="audit-type" value={draft.type} placeholder="tool_call" onInput={field('type')} />
        </span>
        <span class="pair">
          <label for="audit-agent">Agent</label>
          <input id="audit-agent" value={draft.agent} placeholder="agent id" onInput={field('agent')} />
        </span>
        <span class="pair">
          <label for="audit-since">Since</label>
          <input id="audit-since" type="datetime-local" value={draft.since} onInput={field('since')} />
        </span>
        <button type="submit">Filter</button>
      </form>
      <Loaded resource={entries} what="the audit log">
        {(data) => (
          <Table
            caption="Audit entries, newest first"
            class="audit-table"
            empty="No entries."
            rows={[...data.entries].reverse()}
            rowKey={(entry) => entry.seq}
            rowAttributes={(entry) => ({
              ...(broken.has(entry.seq) ? { class: 'broken' } : {}),
              'data-seq': entry.seq,
            })}
            columns={[
              {
                header: '#',
                align: 'num',
                sort: (entry) => entry.seq,
                cell: (entry) => (
                  <>
                    {entry.seq}
                    {broken.has(entry.seq) ? <span class="badge badge-bad"> broken</span> : null}
                  </>
                ),
              },
              { header: 'Time', sort: (entry) => entry.ts, cell: (entry) => formatTime(entry.ts) },
              { header: 'Actor', sort: (entry) => entry.actor, cell: (entry) => entry.actor },
              {
                header: 'Action',
                sort: (entry) => entry.action.type,
                cell: (entry) => <code>{entry.action.type}</code>,
              },
              { header: 'Resource', class: 'wrap', cell: (entry) => entry.resource ?? '' },
              { header: 'Details', class: 'wrap small', cell: (entry) => shortJson(entry.action.data) },
            ]}
          />
        )}
      </Loaded>
    </section>
  );
}

/**
 * The approvals queue: admin operations waiting for a second person (approve or reject with a
 * reason), refreshed live from the event stream. Tool calls of a chat are answered inline in the chat.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { ApprovalRow } from '../api-types.js';
import { followEvents } from '../event-stream.js';
import { formatTime, shortJson } from '../format.js';
import { Badge, Empty, ErrorBox, Loaded, PageHeader, useAction, useResource } from '../ui/common.js';

export function ApprovalsPage() {
  const approvals = useResource(() => api<{ approvals: ApprovalRow[] }>('/api/v1/approvals'), []);
  const action = useAction();
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const reload = approvals.reload;
  useEffect(() => followEvents(({ event }) => event === 'approval' && reload()), [reload]);
  const decide = (approval: ApprovalRow, verb: 'approve' | 'reject') =>
    void action
      .run(() =>
        api(`/api/v1/approvals/${encodeURIComponent(approval.id)}/${verb}`, {
          method: 'POST',
          body: verb === 'reject' && reasons[approval.id] ? { reason: reasons[approval.id] } : {},
        }),
      )
      .then(reload);
  return (
    <section aria-labelledby="page-title">
      <PageHeader title="Approvals">
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </PageHeader>
      <p class="muted small">
        Operations that need a second person's yes. An agent's tool calls are asked inline in the chat.
      </p>
      <ErrorBox error={action.error} />
      <Loaded resource={approvals} what="approvals">
        {(data) =>
          data.approvals.length === 0 ? (
            <Empty>Nothing is waiting for approval.</Empty>
          ) : (
            <ul class="cards" aria-label="Approvals">
              {data.approvals.map((approval) => {
                const pending = !approval.status || approval.status === 'pending';
                return (
                  <li key={approval.id} class="card">
                    <div class="card-head">
                      <strong>{approval.op}</strong>
                      <Badge value={approval.status ?? 'pending'} />
                      <span class="muted small">
                        {approval.requested_by ? `by ${approval.requested_by} · ` : ''}
                        {formatTime(approval.requested_at)}
                        {approval.expires_at ? ` · expires ${formatTime(approval.expires_at)}` : ''}
                      </span>
                    </div>
                    {approval.params !== undefined ? (
                      <pre class="small">{shortJson(approval.params, 600)}</pre>
                    ) : null}
                    {pending ? (
                      <div class="card-actions">
                        <button
                          type="button"
                          class="primary"
                          disabled={action.busy}
                          onClick={() => decide(approval, 'approve')}
                        >
                          Approve
                        </button>
                        <label class="visually-hidden" for={`reason-${approval.id}`}>
                          Reason for rejecting
                        </label>
                        <input
                          id={`reason-${approval.id}`}
                          placeholder="Reason (optional)"
                          value={reasons[approval.id] ?? ''}
                          onInput={(event) =>
                            setReasons({
                              ...reasons,
                              [approval.id]: (event.target as HTMLInputElement).value,
                            })
                          }
                        />
                        <button
                          type="button"
                          class="danger"
                          disabled={action.busy}
                          onClick={() => decide(approval, 'reject')}
                        >
                          Reject
                        </button>
                      </div>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

/**
 * The approvals queue: admin operations waiting for a second person (approve or reject with a
 * reason). Live from the event stream: a new request appears and one decided or expired
 * (here, in another tab, at the terminal) leaves, without a reload; the list is read again
 * whenever the stream (re)connects, so nothing said while it was down is missed. Tool calls of
 * a chat are answered inline in the chat.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { AdminApprovalEvent, ApprovalRow } from '../api-types.js';
import { followEvents } from '../event-stream.js';
import { formatTime, shortJson } from '../format.js';
import { Badge, Empty, ErrorBox, PageHeader, useAction } from '../ui/common.js';

/** Oldest first, as the queue lists them. */
const byRequestTime = (a: ApprovalRow, b: ApprovalRow) =>
  (a.requested_at ?? '').localeCompare(b.requested_at ?? '') || a.id.localeCompare(b.id);

function isApprovalEvent(data: unknown): data is AdminApprovalEvent {
  const event = data as AdminApprovalEvent | null;
  return typeof event?.type === 'string' && typeof event.approval?.id === 'string';
}

export function ApprovalsPage() {
  const [approvals, setApprovals] = useState<ApprovalRow[] | undefined>(undefined);
  const [loadError, setLoadError] = useState<unknown>(undefined);
  const [live, setLive] = useState<{ live: boolean; problem?: string }>({ live: false });
  /** What just left the queue, said to screen readers (and shown) once. */
  const [news, setNews] = useState<string | undefined>();
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const action = useAction();
  const generation = useRef(0);

  const load = useCallback(() => {
    generation.current += 1;
    const mine = generation.current;
    api<{ approvals: ApprovalRow[] }>('/api/v1/approvals').then(
      (data) => {
        if (generation.current !== mine) return;
        setApprovals([...data.approvals].sort(byRequestTime));
        setLoadError(undefined);
      },
      (error: unknown) => {
        if (generation.current === mine) setLoadError(error);
      },
    );
  }, []);

  useEffect(() => {
    load();
    return followEvents(
      ({ event, data }) => {
        if (event !== 'admin_approval' || !isApprovalEvent(data)) return;
        const { type, approval } = data;
        if (type === 'requested') {
          setApprovals((list) =>
            list && !list.some((a) => a.id === approval.id) ? [...list, approval].sort(byRequestTime) : list,
          );
          setNews(`New request: ${approval.op} by ${approval.requested_by ?? 'someone'}.`);
          return;
        }
        setApprovals((list) => list?.filter((a) => a.id !== approval.id));
        setNews(
          `${approval.op} ${approval.id} ${type === 'failed' ? 'failed' : `was ${type}`}${approval.decided_by ? ` by ${approval.decided_by}` : ''}.`,
        );
      },
      (isLive, problem) => {
        setLive({ live: isLive, ...(problem ? { problem } : {}) });
        // Whatever changed while the stream was down: read the queue again.
        if (isLive) load();
      },
    );
  }, [load]);

  const decide = (approval: ApprovalRow, verb: 'approve' | 'reject') =>
    void action
      .run(async () => {
        const answer = await api<{ approval: ApprovalRow }>(
          `/api/v1/approvals/${encodeURIComponent(approval.id)}/${verb}`,
          {
            method: 'POST',
            body: verb === 'reject' && reasons[approval.id] ? { reason: reasons[approval.id] } : {},
          },
        );
        // Gone from the queue now; the event stream says so to every other page.
        setApprovals((list) => list?.filter((a) => a.id !== answer.approval.id));
      })
      .then((ok) => {
        // Refused (decided meanwhile, or expired): show the queue as it is.
        if (!ok) load();
      });

  return (
    <section aria-labelledby="page-title">
      <PageHeader title="Approvals">
        <span class="muted small" role="status">
          <Badge value={live.live ? 'live' : 'not live'} tone={live.live ? 'ok' : 'warn'} />
          {!live.live && live.problem ? <span class="muted"> {live.problem}</span> : null}
        </span>
        <button type="button" onClick={load}>
          Refresh
        </button>
      </PageHeader>
      <p class="muted small">
        Operations that need a second person's yes. An agent's tool calls are asked inline in the chat.
      </p>
      <p class="visually-hidden" aria-live="polite">
        {news}
      </p>
      <ErrorBox error={action.error} />
      <ErrorBox error={loadError} what="Could not load approvals" />
      {approvals === undefined ? (
        loadError === undefined ? (
          <p class="muted" aria-live="polite">
            Loading approvals…
          </p>
        ) : null
      ) : approvals.length === 0 ? (
        <Empty>Nothing is waiting for approval.</Empty>
      ) : (
        <ul class="cards" aria-label="Approvals">
          {approvals.map((approval) => (
            <li key={approval.id} class="card" data-approval={approval.id}>
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
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

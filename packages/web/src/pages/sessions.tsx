/** Stored sessions: search, the transcript of one, export (Markdown or JSON), delete, open in the chat. */
import { useState } from 'preact/hooks';
import { api, download, query } from '../api.js';
import type { SessionRow, SpecRun, TranscriptMessage } from '../api-types.js';
import { useDashboard } from '../context.js';
import { formatCount, formatTime, sessionLabel, shortJson } from '../format.js';
import { Markdown } from '../markdown.js';
import { href, navigate } from '../router.js';
import { Badge, Empty, ErrorBox, Loaded, PageHeader, useAction, useResource } from '../ui/common.js';
import { type Column, Table } from '../ui/table.js';
import { SpecPanel } from './spec-panel.js';

export function SessionsPage(props: { selected: string | undefined }) {
  return props.selected ? <SessionDetail id={props.selected} /> : <SessionList />;
}

const SESSION_COLUMNS: Column<SessionRow>[] = [
  {
    header: 'Session',
    sort: sessionLabel,
    cell: (session) => (
      // One block: on a phone the cell is a flex row, and the id goes under the name.
      <div class="name-cell">
        <a href={href('sessions', session.session_id)}>{sessionLabel(session)}</a>{' '}
        {session.archived ? <Badge value="archived" tone="neutral" /> : null}
        {sessionLabel(session) !== session.session_id ? (
          <code class="id-secondary">{session.session_id}</code>
        ) : null}
      </div>
    ),
  },
  { header: 'Agent', sort: (session) => session.agent_name, cell: (session) => session.agent_name },
  { header: 'User', sort: (session) => session.user_id, cell: (session) => session.user_id ?? '—' },
  {
    header: 'Last active',
    sort: (session) => session.last_active_at,
    cell: (session) => formatTime(session.last_active_at),
  },
  {
    header: 'Messages',
    align: 'num',
    sort: (session) => session.message_count,
    cell: (session) => formatCount(session.message_count),
  },
];

function SessionList() {
  const [draft, setDraft] = useState('');
  const [search, setSearch] = useState('');
  const [archived, setArchived] = useState(false);
  const sessions = useResource(
    () =>
      api<{ sessions: SessionRow[] }>(
        `/api/v1/sessions${query({ q: search, include_archived: archived || undefined, limit: 200 })}`,
      ),
    [search, archived],
  );
  return (
    <section aria-labelledby="page-title">
      <PageHeader title="Sessions">
        <button type="button" onClick={sessions.reload}>
          Refresh
        </button>
      </PageHeader>
      <search>
        <form
          class="toolbar"
          onSubmit={(event) => {
            event.preventDefault();
            setSearch(draft.trim());
          }}
        >
          <label for="session-search">Search</label>
          <input
            id="session-search"
            type="search"
            placeholder="Title or session id"
            value={draft}
            onInput={(event) => setDraft((event.target as HTMLInputElement).value)}
          />
          <button type="submit">Search</button>
          <label class="check">
            <input
              type="checkbox"
              checked={archived}
              onChange={(event) => setArchived((event.target as HTMLInputElement).checked)}
            />
            Include archived
          </label>
        </form>
      </search>
      <Loaded resource={sessions} what="sessions">
        {(data) => (
          <Table
            caption="Sessions, newest first"
            empty={search ? `No session matches “${search}”.` : 'No sessions yet.'}
            rows={data.sessions}
            rowKey={(session) => session.session_id}
            columns={SESSION_COLUMNS}
          />
        )}
      </Loaded>
    </section>
  );
}

function SessionDetail(props: { id: string }) {
  const { chat } = useDashboard();
  const detail = useResource(
    () =>
      api<{ session: SessionRow; messages: TranscriptMessage[]; spec?: SpecRun | null }>(
        `/api/v1/sessions/${encodeURIComponent(props.id)}`,
      ),
    [props.id],
  );
  const action = useAction();
  const path = `/api/v1/sessions/${encodeURIComponent(props.id)}/export`;
  const remove = () => {
    if (!confirm(`Delete session ${props.id} and everything stored with it?`)) return;
    void action
      .run(() => api(`/api/v1/sessions/${encodeURIComponent(props.id)}`, { method: 'DELETE' }))
      .then((ok) => ok && navigate('sessions'));
  };
  const title = detail.data ? sessionLabel(detail.data.session) : props.id;
  return (
    <section aria-labelledby="page-title">
      <p class="crumbs">
        <a href={href('sessions')}>← All sessions</a>
      </p>
      <PageHeader title={title}>
        <button
          type="button"
          onClick={() => void chat.switchSession(props.id).then(() => navigate('chat'))}
          disabled={
            detail.data?.session.user_id != null &&
            detail.data.session.user_id !== chat.value.session?.user_id
          }
        >
          Open in chat
        </button>
        <button
          type="button"
          onClick={() => void action.run(() => download(`${path}?format=markdown`, `${props.id}.md`))}
        >
          Export Markdown
        </button>
        <button
          type="button"
          onClick={() => void action.run(() => download(`${path}?format=jsonl`, `${props.id}.jsonl`))}
        >
          Export JSONL
        </button>
        <button type="button" class="danger" disabled={action.busy} onClick={remove}>
          Delete
        </button>
      </PageHeader>
      <ErrorBox error={action.error} />
      <Loaded resource={detail} what="the transcript">
        {(data) => (
          <>
            <dl class="facts">
              <dt>Session</dt>
              <dd>
                <code>{data.session.session_id}</code>
              </dd>
              <dt>Agent</dt>
              <dd>{data.session.agent_name}</dd>
              <dt>User</dt>
              <dd>{data.session.user_id ?? '—'}</dd>
              <dt>Created</dt>
              <dd>{formatTime(data.session.created_at)}</dd>
              <dt>Last active</dt>
              <dd>{formatTime(data.session.last_active_at)}</dd>
            </dl>
            {data.spec ? <SpecPanel spec={data.spec} /> : null}
            <Transcript messages={data.messages} />
          </>
        )}
      </Loaded>
    </section>
  );
}

function Transcript(props: { messages: TranscriptMessage[] }) {
  const shown = props.messages.filter((message) => message.role !== 'system');
  if (shown.length === 0) return <Empty>No messages stored.</Empty>;
  return (
    <ol class="transcript transcript-static" aria-label="Transcript">
      {shown.map((message, index) => {
        const text =
          typeof message.content === 'string'
            ? message.content
            : message.content
                .map((part) => (part.type === 'text' ? (part.text ?? '') : '[attachment]'))
                .join('');
        const calls = message.tool_calls ?? message.toolCalls ?? [];
        if (message.role === 'tool')
          return (
            <li key={index} class="tool-line">
              <details>
                <summary>
                  {message.tool_name ?? message.toolName ?? 'tool'} result
                  {(message.is_error ?? message.isError) ? ' (error)' : ''}
                </summary>
                <pre>{text}</pre>
              </details>
            </li>
          );
        return (
          <li key={index} class={`msg msg-${message.role === 'user' ? 'user' : 'assistant'}`}>
            <span class="visually-hidden">{message.role === 'user' ? 'You: ' : 'Agent: '}</span>
            {message.role === 'user' ? text : <Markdown text={text} />}
            {calls.length > 0 ? (
              <ul class="calls">
                {calls.map((call, i) => (
                  <li key={i} class="tool-line">
                    › {call.name} {shortJson(call.arguments, 120)}
                  </li>
                ))}
              </ul>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}

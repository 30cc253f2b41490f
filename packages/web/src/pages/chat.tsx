/**
 * Chat with an agent over the WebSocket: the session switcher, which agent a new session runs,
 * the transcript with the streamed answer (rendered as Markdown, safely), tool activity lines and
 * inline approval questions (Allow / Deny), and cancel.
 */

// The subpath, not the root: the root also holds Node-only modules (node:path) a browser lacks.
import { visibleControls } from '@oxydra/types/terminal-text';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatItem } from '../chat-store.js';
import { useDashboard } from '../context.js';
import { formatTime, sessionLabel } from '../format.js';
import { Markdown } from '../markdown.js';
import { useStore } from '../store.js';
import { Badge, PageHeader } from '../ui/common.js';

const AGENT_KEY = 'oxydra.chat-agent';

/** The agent this tab last chose for new sessions. */
function savedAgent(): string {
  try {
    return sessionStorage.getItem(AGENT_KEY) ?? 'default';
  } catch {
    return 'default';
  }
}

export function ChatPage() {
  const { chat } = useDashboard();
  const state = useStore(chat);
  const [draft, setDraft] = useState('');
  const [agent, setAgent] = useState(savedAgent);
  const log = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    const element = log.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [state.items]);

  const send = (event?: Event) => {
    event?.preventDefault();
    if (chat.sendTurn(draft)) setDraft('');
  };
  const chooseAgent = (name: string) => {
    setAgent(name);
    try {
      sessionStorage.setItem(AGENT_KEY, name);
    } catch {}
  };
  const connection = state.connection;
  const connected = connection.state === 'connected';
  const idle = connected && state.turn === undefined;
  const sessionId = state.session?.session_id;
  // A choice the gateway no longer offers falls back to the default agent.
  const chosen = state.agents.some((a) => a.name === agent) ? agent : 'default';
  const current = state.agents.find((a) => a.name === (state.sessionAgent ?? 'default'));
  const sessions = state.sessions.some((s) => s.session_id === sessionId)
    ? state.sessions
    : sessionId
      ? [
          {
            session_id: sessionId,
            agent_name: state.sessionAgent ?? 'default',
            channel_origin: 'gateway',
            created_at: '',
            last_active_at: '',
            archived: false,
          },
          ...state.sessions,
        ]
      : state.sessions;

  return (
    <section class="chat-page" aria-labelledby="page-title">
      <PageHeader title="Chat">
        <label class="inline-label" for="session-switcher">
          Session
        </label>
        <select
          id="session-switcher"
          value={sessionId ?? ''}
          disabled={!connected || state.turn !== undefined}
          onChange={(event) => void chat.switchSession((event.target as HTMLSelectElement).value)}
        >
          {sessions.map((session) => (
            <option key={session.session_id} value={session.session_id}>
              {sessionLabel(session)}
              {session.agent_name !== 'default' ? ` · ${session.agent_name}` : ''}
              {session.last_active_at ? ` · ${formatTime(session.last_active_at)}` : ''}
            </option>
          ))}
        </select>
        <label class="inline-label" for="new-session-agent">
          Agent
        </label>
        <select
          id="new-session-agent"
          value={chosen}
          aria-describedby="new-session-agent-hint"
          disabled={!idle}
          onChange={(event) => chooseAgent((event.target as HTMLSelectElement).value)}
        >
          {state.agents.map((option) => (
            <option key={option.name} value={option.name} title={option.description ?? undefined}>
              {option.name}
              {option.model ? ` (${option.model})` : ''}
            </option>
          ))}
        </select>
        <span id="new-session-agent-hint" class="visually-hidden">
          The agent the next new session runs
        </span>
        <button
          type="button"
          disabled={!idle}
          onClick={() => void chat.newSession({ agentName: chosen }).then(() => input.current?.focus())}
        >
          New session
        </button>
        <span class="connection" role="status">
          <Badge value={connection.state} />
          {connection.state === 'reconnecting' || connection.state === 'closed' ? (
            <span class="muted small"> {connection.reason}</span>
          ) : null}
        </span>
      </PageHeader>
      <p class="muted small chat-meta">
        <span class="session-agent">
          This session runs <strong>{state.sessionAgent ?? 'default'}</strong>
          {current?.model ? ` (${current.provider ? `${current.provider}/` : ''}${current.model})` : ''}
          {current?.description ? ` · ${current.description}` : ''}
        </span>
        {state.sandbox && state.sandbox.shell !== 'sandboxed' ? (
          <span> · Commands: {state.sandbox.summary}</span>
        ) : null}
      </p>
      <div class="transcript" ref={log} role="log" aria-label="Conversation" aria-busy={state.loading}>
        <ol class="transcript-items">
          {state.items.length === 0 && !state.loading ? (
            <li class="empty">No messages yet. Ask the agent something below.</li>
          ) : null}
          {state.items.map((item) => (
            <Item key={item.id} item={item} />
          ))}
          {state.turn ? (
            <li class="working muted" aria-live="polite">
              {state.turn.state === 'queued' ? 'Waiting for a free slot…' : 'Working…'}
            </li>
          ) : null}
        </ol>
      </div>
      <form class="composer" onSubmit={send}>
        <label for="prompt" class="visually-hidden">
          Message
        </label>
        <textarea
          id="prompt"
          ref={input}
          rows={2}
          placeholder="Message the agent (Enter sends, Shift+Enter for a new line)"
          value={draft}
          onInput={(event) => setDraft((event.target as HTMLTextAreaElement).value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) send(event);
          }}
        />
        {state.turn ? (
          <button type="button" class="danger" onClick={() => chat.cancel()}>
            Cancel
          </button>
        ) : (
          <button type="submit" class="primary" disabled={!connected || draft.trim() === ''}>
            Send
          </button>
        )}
      </form>
    </section>
  );
}

function Item(props: { item: ChatItem }) {
  const { chat } = useDashboard();
  const item = props.item;
  switch (item.kind) {
    case 'user':
      return (
        <li class="msg msg-user">
          <span class="visually-hidden">You: </span>
          {item.text}
        </li>
      );
    case 'assistant':
      return (
        <li class={`msg msg-assistant${item.streaming ? ' streaming' : ''}`} data-streaming={item.streaming}>
          <span class="visually-hidden">Agent: </span>
          <Markdown text={item.text} />
        </li>
      );
    case 'tool':
      return (
        <li class={`tool-line tool-${item.progress}`}>
          <span aria-hidden="true">{item.progress === 'tool_failed' ? '✗ ' : '› '}</span>
          {item.text}
        </li>
      );
    case 'notice':
      return (
        <li class={`notice notice-${item.tone}`} role={item.tone === 'error' ? 'alert' : undefined}>
          {item.text}
        </li>
      );
    case 'approval':
      return (
        <li class={`approval approval-${item.state}`} aria-label={`Approval for ${item.tool}`}>
          <p>
            <strong>{item.tool}</strong> asks to run:
          </p>
          <pre class="approval-summary">{visibleControls(item.summary)}</pre>
          {item.state === 'pending' || item.state === 'answering' ? (
            <div class="approval-actions">
              <button
                type="button"
                class="primary"
                disabled={item.state === 'answering'}
                onClick={() => chat.answer(item.approvalId, true)}
              >
                Allow
              </button>
              <button
                type="button"
                class="danger"
                disabled={item.state === 'answering'}
                onClick={() => chat.answer(item.approvalId, false)}
              >
                Deny
              </button>
              <span class="muted small">
                Will be denied at {formatTime(item.expiresAt)} if nobody answers
              </span>
            </div>
          ) : (
            <p class="approval-outcome" role="status">
              <Badge value={item.state === 'allowed' ? 'allowed' : 'denied'} />
              {item.by && item.by !== 'client' ? <span class="muted small"> ({item.by})</span> : null}
            </p>
          )}
        </li>
      );
  }
}

/**
 * The chat's state over one gateway client (@oxydra/gateway-client), kept for the whole login (leaving the chat page does
 * not drop a streaming answer): the attached session, its transcript (stored messages from the
 * REST API, then this connection's turns), the running turn, tool activity and approval
 * questions, the user's sessions for the switcher, and the agents a new session can run.
 */
import { browserSocket, type ConnectionState, GatewayClient } from '@oxydra/gateway-client';
import type { ServerFrame, ServerPayload, SessionSummary } from '@oxydra/types/gateway';
import { api, errorText } from './api.js';
import type { ConfiguredAgent, TranscriptMessage } from './api-types.js';
import { type ChatTurn, errorOutcome } from './chat-errors.js';
import { Store } from './store.js';
import { toast } from './toasts.js';

export type ApprovalState = 'pending' | 'answering' | 'allowed' | 'denied';

export type ChatItem =
  | { id: string; kind: 'user'; text: string }
  | { id: string; kind: 'assistant'; text: string; streaming: boolean }
  | { id: string; kind: 'tool'; text: string; progress: string }
  | {
      id: string;
      kind: 'approval';
      approvalId: string;
      tool: string;
      summary: string;
      expiresAt: string;
      state: ApprovalState;
      by?: string;
    }
  | { id: string; kind: 'notice'; text: string; tone: 'info' | 'error' };

export interface ChatState {
  connection: ConnectionState;
  session?: { session_id: string; user_id: string };
  /** The agent the attached session runs, when known (its list entry, or its creation). */
  sessionAgent?: string;
  sessions: SessionSummary[];
  /** The agents a new session can run ("default" first). */
  agents: ConfiguredAgent[];
  items: ChatItem[];
  /** The turn this session is running, if any (this client's or another's). */
  turn?: ChatTurn;
  sandbox?: ServerPayload<'hello_ack'>['sandbox'];
  loading: boolean;
}

/** Until the gateway's list arrives: the agent every gateway has. */
const DEFAULT_AGENT: ConfiguredAgent = { name: 'default', description: null, provider: '', model: '' };

let itemCounter = 0;
const nextId = (): string => {
  itemCounter += 1;
  return `i${itemCounter}`;
};

function messageText(message: TranscriptMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => (part.type === 'text' ? (part.text ?? '') : '[attachment]')).join('');
}

/** Stored messages as chat items: the user's and the assistant's words, and which tools ran. */
function transcriptItems(messages: TranscriptMessage[]): ChatItem[] {
  const items: ChatItem[] = [];
  for (const message of messages) {
    if (message.role === 'user') items.push({ id: nextId(), kind: 'user', text: messageText(message) });
    else if (message.role === 'assistant') {
      const text = messageText(message);
      if (text) items.push({ id: nextId(), kind: 'assistant', text, streaming: false });
      for (const call of message.tool_calls ?? message.toolCalls ?? [])
        items.push({ id: nextId(), kind: 'tool', text: `ran ${call.name}`, progress: 'tool_finished' });
    }
  }
  return items;
}

/** The gateway's /ws on this page's origin. */
function dashboardSocketUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

export class ChatStore extends Store<ChatState> {
  readonly socket: GatewayClient;
  #unsubscribe: () => void;

  constructor(token: string, userId: string | undefined) {
    super({
      connection: { state: 'connecting' },
      sessions: [],
      agents: [DEFAULT_AGENT],
      items: [],
      loading: false,
    });
    let sessionId: string | undefined;
    try {
      sessionId = sessionStorage.getItem('oxydra.chat-session') ?? undefined;
    } catch {}
    this.socket = new GatewayClient({
      url: dashboardSocketUrl(),
      openSocket: browserSocket(token),
      // Without a remembered session: the user's default one, as Oxydra's clients attach.
      newSession: false,
      idPrefix: 'web',
      clientName: 'dashboard',
      ...(userId ? { userId } : {}),
      ...(sessionId ? { sessionId } : {}),
    });
    this.#unsubscribe = this.socket.subscribe((event) => {
      if (event.kind === 'connection') this.update((s) => ({ ...s, connection: event.connection }));
      else if (event.kind === 'hello') this.#onHello(event.ack, event.resumed);
      else if (event.kind === 'frame') this.#onFrame(event.frame);
    });
    this.socket.start();
    void this.loadAgents();
  }

  /** The agents a new session can run, from the gateway's configuration. */
  async loadAgents(): Promise<void> {
    try {
      const { agents } = await api<{ agents: ConfiguredAgent[] }>('/api/v1/agents/configured');
      if (agents.length > 0) this.update((s) => ({ ...s, agents }));
    } catch {
      // "default" alone: every gateway runs it
    }
  }

  close(): void {
    this.#unsubscribe();
    void this.socket.close();
  }

  // ---- actions ----

  sendTurn(prompt: string): boolean {
    const session = this.state.session;
    if (!session || this.state.turn || prompt.trim() === '') return false;
    const turnId = this.socket.newTurnId();
    let requestId: string;
    try {
      requestId = this.socket.send('send_turn', { session_id: session.session_id, turn_id: turnId, prompt });
    } catch (error) {
      this.#notice(errorText(error), 'error');
      return false;
    }
    this.update((s) => ({
      ...s,
      items: [...s.items, { id: nextId(), kind: 'user', text: prompt }],
      turn: { turnId, state: 'queued', requestId },
    }));
    return true;
  }

  cancel(): void {
    const { session, turn } = this.state;
    if (!session || !turn) return;
    try {
      this.socket.send('cancel_active_turn', { session_id: session.session_id, turn_id: turn.turnId });
    } catch (error) {
      this.#notice(errorText(error), 'error');
    }
  }

  answer(approvalId: string, allow: boolean): void {
    try {
      this.socket.send('approval_response', { approval_id: approvalId, allow });
    } catch (error) {
      this.#notice(errorText(error), 'error');
      return;
    }
    this.#setApproval(approvalId, { state: 'answering' });
  }

  /** A new session running `agentName` (default: the default agent), attached and empty. */
  async newSession(options: { displayName?: string; agentName?: string } = {}): Promise<void> {
    try {
      const created = await this.socket.request('create_session', {
        ...(options.displayName ? { display_name: options.displayName } : {}),
        ...(options.agentName ? { agent_name: options.agentName } : {}),
      });
      this.#attached(created.session, undefined, created.agent_name);
      this.update((s) => ({ ...s, items: [] }));
      await this.refreshSessions();
    } catch (error) {
      toast(errorText(error), 'error');
    }
  }

  async switchSession(sessionId: string): Promise<void> {
    if (sessionId === this.state.session?.session_id) return;
    try {
      const switched = await this.socket.request('switch_session', { session_id: sessionId });
      this.#attached(switched.session, switched.active_turn);
      await this.#loadTranscript(switched.session.session_id);
    } catch (error) {
      toast(errorText(error), 'error');
    }
  }

  async refreshSessions(): Promise<void> {
    try {
      const list = await this.socket.request('list_sessions', {
        include_archived: false,
        include_subagent_sessions: false,
      });
      this.update((s) => ({
        ...s,
        sessions: list.sessions,
        sessionAgent:
          list.sessions.find((known) => known.session_id === s.session?.session_id)?.agent_name ??
          s.sessionAgent,
      }));
    } catch {
      // the switcher keeps what it had; the connection state says why
    }
  }

  // ---- frames ----

  #onHello(ack: ServerPayload<'hello_ack'>, resumed: boolean): void {
    const sameSession = resumed && ack.session.session_id === this.state.session?.session_id;
    this.#attached(ack.session, ack.active_turn);
    this.update((s) => ({ ...s, sandbox: ack.sandbox }));
    if (!sameSession) void this.#loadTranscript(ack.session.session_id);
    void this.refreshSessions();
  }

  #attached(
    session: { session_id: string; user_id: string },
    active: ServerPayload<'hello_ack'>['active_turn'],
    agent?: string,
  ): void {
    try {
      sessionStorage.setItem('oxydra.chat-session', session.session_id);
    } catch {}
    this.update((s) => ({
      ...s,
      session,
      sessionAgent: agent ?? s.sessions.find((known) => known.session_id === session.session_id)?.agent_name,
      turn: active?.state === 'running' ? { turnId: active.turn_id, state: 'running' } : undefined,
    }));
  }

  async #loadTranscript(sessionId: string): Promise<void> {
    this.update((s) => ({ ...s, loading: true, items: [] }));
    try {
      const detail = await api<{ messages: TranscriptMessage[] }>(
        `/api/v1/sessions/${encodeURIComponent(sessionId)}`,
      );
      if (this.state.session?.session_id !== sessionId) return;
      this.update((s) => ({ ...s, items: [...transcriptItems(detail.messages), ...s.items] }));
    } catch (error) {
      // A session with nothing stored yet has no transcript to show.
      if (!(error instanceof Error && /not found/i.test(error.message)))
        this.#notice(`could not load the transcript: ${errorText(error)}`, 'error');
    } finally {
      this.update((s) => ({ ...s, loading: false }));
    }
  }

  #onFrame(frame: ServerFrame): void {
    if (frame.type === 'scheduled_notification') {
      const p = frame.payload;
      const name = p.schedule_name ?? p.schedule_id;
      toast(`Schedule ${name}${p.status ? ` ${p.status}` : ''}: ${p.message.slice(0, 200)}`, 'info');
      return;
    }
    const session = 'session' in frame.payload ? frame.payload.session : undefined;
    if (session && session.session_id !== this.state.session?.session_id) return;
    switch (frame.type) {
      case 'turn_started':
        this.update((s) => ({ ...s, turn: { turnId: frame.payload.turn.turn_id, state: 'running' } }));
        return;
      case 'assistant_delta':
        this.#appendDelta(frame.payload.delta);
        return;
      case 'turn_progress': {
        const { kind, message } = frame.payload.progress;
        if (kind === 'model_turn' || kind === 'tool_heartbeat' || kind === 'rolling_summary') return;
        this.#endStreaming();
        this.update((s) => ({
          ...s,
          items: [...s.items, { id: nextId(), kind: 'tool', text: message, progress: kind }],
        }));
        return;
      }
      case 'approval_requested': {
        const p = frame.payload;
        this.#endStreaming();
        this.update((s) => ({
          ...s,
          items: [
            ...s.items,
            {
              id: nextId(),
              kind: 'approval',
              approvalId: p.approval_id,
              tool: p.tool,
              summary: p.summary,
              expiresAt: p.expires_at,
              state: 'pending',
            },
          ],
        }));
        return;
      }
      case 'approval_resolved':
        this.#setApproval(frame.payload.approval_id, {
          state: frame.payload.allow ? 'allowed' : 'denied',
          by: frame.payload.by,
        });
        return;
      case 'turn_completed':
        this.#finishTurn(frame.payload.turn.turn_id);
        return;
      case 'turn_cancelled':
        this.#finishTurn(frame.payload.turn.turn_id);
        this.#notice('Turn cancelled.', 'info');
        return;
      case 'error': {
        const { ends, notify } = errorOutcome(frame.payload, this.state.turn);
        if (ends === 'current') this.update((s) => ({ ...s, turn: undefined }));
        else if (ends) this.#finishTurn(ends.turnId);
        if (notify) this.#notice(frame.payload.message, 'error');
        return;
      }
      default:
        return;
    }
  }

  #appendDelta(delta: string): void {
    this.update((s) => {
      const last = s.items.at(-1);
      if (last?.kind === 'assistant' && last.streaming)
        return { ...s, items: [...s.items.slice(0, -1), { ...last, text: last.text + delta }] };
      return { ...s, items: [...s.items, { id: nextId(), kind: 'assistant', text: delta, streaming: true }] };
    });
  }

  #endStreaming(): void {
    const last = this.state.items.at(-1);
    if (last?.kind === 'assistant' && last.streaming)
      this.update((s) => ({ ...s, items: [...s.items.slice(0, -1), { ...last, streaming: false }] }));
  }

  #finishTurn(turnId: string): void {
    this.#endStreaming();
    if (this.state.turn && this.state.turn.turnId !== turnId) return;
    this.update((s) => ({ ...s, turn: undefined }));
    void this.refreshSessions();
  }

  #setApproval(approvalId: string, change: { state: ApprovalState; by?: string }): void {
    this.update((s) => ({
      ...s,
      items: s.items.map((item) =>
        item.kind === 'approval' && item.approvalId === approvalId ? { ...item, ...change } : item,
      ),
    }));
  }

  #notice(text: string, tone: 'info' | 'error'): void {
    this.update((s) => ({ ...s, items: [...s.items, { id: nextId(), kind: 'notice', text, tone }] }));
  }
}

/**
 * What the user's input does: prompts become send_turn frames, slash commands become requests
 * whose answers are printed into the history, Ctrl+C cancels or exits. Sits between the Ink
 * input box and the gateway client; owns no state of its own beyond the store's.
 */

import { type GatewayClient, GatewayRequestError } from '@oxydra/gateway-client';
import { sessionName, shortSessionId, shortSessionIds } from '@oxydra/types';
import { formatTime, formatUsage } from './format.js';
import { HELP_LINES, matchSession, parseLine, type SlashCommand } from './slash-commands.js';
import { isBusy } from './state.js';
import type { ViewStore } from './store.js';

export interface TuiControllerOptions {
  client: GatewayClient;
  store: ViewStore;
  /** Unmount the app and quit; `interrupted` when Ctrl+C quit (the command then exits 130). */
  exit: (how: 'quit' | 'interrupted') => void;
}

export class TuiController {
  private readonly client: GatewayClient;
  private readonly store: ViewStore;
  private readonly exit: (how: 'quit' | 'interrupted') => void;

  constructor(options: TuiControllerOptions) {
    this.client = options.client;
    this.store = options.store;
    this.exit = options.exit;
  }

  /** Handle a submitted input; true when it was used (the input box then clears). */
  submit(line: string): boolean {
    // A pending approval question takes the line as its answer: y or yes allows, anything else denies.
    if (this.store.getState().approvals.length > 0) return this.answer(/^\s*y(es)?\s*$/i.test(line));
    if (line.trim() === '') return false;
    const parsed = parseLine(line);
    switch (parsed.kind) {
      case 'invalid':
        this.fail(parsed.problem);
        return false;
      case 'command':
        this.run(parsed.command);
        return true;
      case 'prompt':
        return this.sendPrompt(parsed.text);
    }
  }

  /** Ctrl+C: cancel the running turn; when idle (or asked twice, or offline), quit. */
  interrupt(): void {
    const state = this.store.getState();
    // Ctrl+C at a question answers it "no" (the turn goes on and the model is told).
    if (state.approvals.length > 0) {
      this.answer(false);
      return;
    }
    const turnId = state.turn?.turnId ?? state.awaiting?.turnId;
    if (!turnId || state.connection.state !== 'connected' || state.cancelRequestedFor === turnId) {
      this.exit('interrupted');
      return;
    }
    this.cancel(turnId, 'cancelling the turn (Ctrl+C again quits)');
  }

  /** Answers the oldest pending approval question. */
  private answer(allow: boolean): boolean {
    const [pending] = this.store.getState().approvals;
    if (!pending) return false;
    this.guard(() => {
      this.client.send('approval_response', { approval_id: pending.approvalId, allow });
      this.note(`${allow ? 'allowing' : 'denying'} ${pending.tool}`);
    });
    return true;
  }

  private sendPrompt(text: string): boolean {
    const state = this.store.getState();
    if (state.connection.state !== 'connected' || !this.client.session) {
      this.fail('not connected to the gateway; your prompt is kept, press Enter again once reconnected');
      return false;
    }
    if (isBusy(state)) {
      this.fail('a turn is still running; wait for it, or cancel it with Ctrl+C or /cancel');
      return false;
    }
    const turnId = this.client.newTurnId();
    try {
      const requestId = this.client.send('send_turn', {
        session_id: this.client.session.session_id,
        turn_id: turnId,
        prompt: text,
      });
      this.store.dispatch({ kind: 'prompt', text, requestId, turnId });
      return true;
    } catch (error) {
      this.fail(`could not send the prompt: ${messageOf(error)}`);
      return false;
    }
  }

  private run(command: SlashCommand): void {
    switch (command.name) {
      case 'help':
        for (const line of HELP_LINES) this.note(line);
        return;
      case 'exit':
        this.exit('quit');
        return;
      case 'cancel': {
        const state = this.store.getState();
        const turnId = state.turn?.turnId ?? state.awaiting?.turnId;
        if (!turnId) this.note('no turn is running');
        else this.cancel(turnId, 'cancelling the turn');
        return;
      }
      case 'cancelall':
        this.guard(() => {
          this.client.send('cancel_all_active_turns', {});
          this.note('asked the gateway to cancel every running turn of yours');
        });
        return;
      case 'new':
        void this.createSession(command.displayName);
        return;
      case 'sessions':
        void this.listSessions();
        return;
      case 'switch':
        void this.switchSession(command.target);
        return;
      case 'status':
        void this.status();
        return;
    }
  }

  private cancel(turnId: string, message: string): void {
    const session = this.client.session;
    if (!session) return;
    this.guard(() => {
      this.client.send('cancel_active_turn', { session_id: session.session_id, turn_id: turnId });
      this.store.dispatch({ kind: 'cancel_requested', turnId });
      this.note(message);
    });
  }

  private async createSession(displayName: string | undefined): Promise<void> {
    await this.guardAsync(async () => {
      const created = await this.client.request(
        'create_session',
        displayName ? { display_name: displayName } : {},
      );
      const name = created.display_name ? ` "${created.display_name}"` : '';
      this.note(
        `new session ${shortSessionId(created.session.session_id)}${name} (agent ${created.agent_name})`,
      );
    });
  }

  private async listSessions(): Promise<void> {
    await this.guardAsync(async () => {
      const { sessions } = await this.client.request('list_sessions', {
        include_archived: false,
        include_subagent_sessions: false,
      });
      if (sessions.length === 0) {
        this.note('no sessions');
        return;
      }
      const current = this.client.session;
      const shorts = shortSessionIds(sessions.map((s) => s.session_id));
      this.note(`${sessions.length} session${sessions.length === 1 ? '' : 's'} (* this one):`);
      for (const s of sessions) {
        const marker = s.session_id === current?.session_id ? '*' : ' ';
        const short = shorts.get(s.session_id) ?? s.session_id;
        // The gateway names them (older ones do not: the same rule here, the list being this user's).
        const named =
          s.name ?? sessionName({ id: s.session_id, userId: current?.user_id, title: s.display_name });
        const name = named === short || named === shortSessionId(s.session_id) ? '' : `"${named}" `;
        this.note(
          `${marker} ${short}  ${name}${s.agent_name} · ${s.channel_origin} · last active ${formatTime(s.last_active_at)}${s.archived ? ' · archived' : ''}`,
        );
      }
      this.note('/switch <id> switches');
    });
  }

  private async switchSession(target: string): Promise<void> {
    await this.guardAsync(async () => {
      const { sessions } = await this.client.request('list_sessions', {
        include_archived: true,
        include_subagent_sessions: false,
      });
      const match = matchSession(
        target,
        sessions.map((s) => s.session_id),
      );
      if (!match.ok) {
        this.fail(match.problem);
        return;
      }
      if (match.id === this.client.session?.session_id) {
        this.note(`already in session ${shortSessionId(match.id)}`);
        return;
      }
      const switched = await this.client.request('switch_session', { session_id: match.id });
      const running =
        switched.active_turn?.state === 'running' ? '; a turn is running, its reply streams below' : '';
      this.note(`switched to session ${shortSessionId(switched.session.session_id)}${running}`);
    });
  }

  private async status(): Promise<void> {
    await this.guardAsync(async () => {
      const health = await this.client.request('health_check', {});
      const state = this.store.getState();
      const session = health.session ?? this.client.session;
      this.note(
        `gateway ${this.client.url}: ${health.healthy ? 'healthy' : 'unhealthy'}${health.message ? ` (${health.message})` : ''}`,
      );
      if (session) {
        this.note(
          `session ${shortSessionId(session.session_id)} (${session.session_id}) · user ${session.user_id}`,
        );
        const usage = state.usage[session.session_id];
        if (usage)
          this.note(
            `used here: ${formatUsage(usage)} over ${usage.turns} turn${usage.turns === 1 ? '' : 's'}`,
          );
      }
      const active = health.active_turn;
      this.note(active ? `turn ${shortSessionId(active.turn_id)}: ${active.state}` : 'no turn running');
    });
  }

  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.fail(messageOf(error));
    }
  }

  private async guardAsync(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      // The gateway's own error frame is already in the history.
      if (error instanceof GatewayRequestError && error.fromServer) return;
      this.fail(messageOf(error));
    }
  }

  private note(text: string): void {
    this.store.dispatch({ kind: 'note', text });
  }

  private fail(text: string): void {
    this.store.dispatch({ kind: 'failure', text });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

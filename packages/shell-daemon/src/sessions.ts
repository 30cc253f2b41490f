/**
 * The daemon's sessions and what each request does to them. A session is a shell, a working
 * directory and extra environment; each exec_command replaces its captured output, which
 * stream_output then hands out chunk by chunk. Sessions outlive the connection that made them.
 */
import { join } from 'node:path';
import { execInSession, type SessionShell } from './exec.js';
import { OutputQueue } from './output-queue.js';
import type { ParsedShellRequest, ShellResponse } from './protocol.js';

export const DEFAULT_MAX_SESSION_OUTPUT_BYTES = 64 * 1024;
export const DEFAULT_MAX_STREAM_CHUNK_BYTES = 8 * 1024;
const DEFAULT_SHELL = '/bin/sh';

export interface SessionLimits {
  maxSessionOutputBytes: number;
  maxStreamChunkBytes: number;
}

interface Session extends SessionShell {
  output: OutputQueue;
  /** Set while a command runs: kill_session aborts it. */
  running?: AbortController;
}

/** A request that cannot be served: becomes an `error` frame carrying the request's id. */
class SessionError extends Error {}

export class SessionManager {
  readonly #sessions = new Map<string, Session>();
  #nextSession = 0;
  #nextExec = 0;

  constructor(
    readonly limits: SessionLimits,
    /** A private directory for the stderr files of running commands. */
    readonly scratchDir: string,
  ) {}

  async handle(request: ParsedShellRequest): Promise<ShellResponse> {
    const requestId = request.payload.request_id;
    try {
      return await this.#dispatch(request);
    } catch (error) {
      const message =
        error instanceof SessionError
          ? error.message
          : `failed to execute command: ${String(error instanceof Error ? error.message : error)}`;
      return { op: 'error', payload: { request_id: requestId, message } };
    }
  }

  /** Stops every running command (the daemon is closing). */
  abortAll(): void {
    for (const session of this.#sessions.values()) session.running?.abort();
    this.#sessions.clear();
  }

  async #dispatch(request: ParsedShellRequest): Promise<ShellResponse> {
    switch (request.op) {
      case 'spawn_session': {
        const { request_id, shell, cwd, env } = request.payload;
        this.#nextSession += 1;
        const session_id = `session-${String(this.#nextSession).padStart(6, '0')}`;
        this.#sessions.set(session_id, {
          shell: shell?.trim() || DEFAULT_SHELL,
          ...(cwd?.trim() ? { cwd: cwd.trim() } : {}),
          env,
          output: new OutputQueue(),
        });
        return { op: 'spawn_session', payload: { request_id, session_id } };
      }
      case 'exec_command': {
        const { request_id, session_id, command, timeout_secs } = request.payload;
        if (command.trim() === '') throw new SessionError('command must not be empty');
        const session = this.#session(session_id);
        if (session.running) {
          throw new SessionError(
            `session \`${session_id}\` is already running a command; wait for it or kill_session`,
          );
        }
        const controller = new AbortController();
        session.running = controller;
        this.#nextExec += 1;
        try {
          const outcome = await execInSession(session, command, {
            ...(timeout_secs !== undefined ? { timeoutSecs: timeout_secs } : {}),
            signal: controller.signal,
            maxOutputBytes: this.limits.maxSessionOutputBytes,
            stderrPath: join(this.scratchDir, `stderr-${this.#nextExec}`),
          });
          if (outcome.cancelled)
            throw new SessionError(`session \`${session_id}\` was killed while its command ran`);
          session.output = OutputQueue.of(outcome.stdout, outcome.stderr, this.limits.maxSessionOutputBytes);
          if (outcome.timedOut) {
            throw new SessionError(
              `command execution timed out after ${timeout_secs}s; it was killed with everything it started (its partial output is readable with stream_output)`,
            );
          }
          return { op: 'exec_command', payload: { request_id, accepted: true } };
        } finally {
          session.running = undefined;
        }
      }
      case 'stream_output': {
        const { request_id, session_id, max_bytes } = request.payload;
        const limit = Math.min(max_bytes ?? this.limits.maxStreamChunkBytes, this.limits.maxStreamChunkBytes);
        const piece = this.#session(session_id).output.next(limit);
        return { op: 'stream_output', payload: { request_id, session_id, ...piece } };
      }
      case 'kill_session': {
        const { request_id, session_id } = request.payload;
        const session = this.#sessions.get(session_id);
        session?.running?.abort();
        this.#sessions.delete(session_id);
        return { op: 'kill_session', payload: { request_id, killed: session !== undefined } };
      }
    }
  }

  #session(sessionId: string): Session {
    const session = this.#sessions.get(sessionId);
    if (!session) throw new SessionError(`session \`${sessionId}\` not found`);
    return session;
  }
}

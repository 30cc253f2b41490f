/**
 * One run's checkpoints: "before" is taken just before the run's first tool call that can
 * change the workspace (a run that only reads or talks costs nothing: this module loads only
 * then, agent-turn.ts), "after" when the run ends. Sub-agents share their root's bracket: their
 * changes are part of its run. The "before" names the run's session and where in it the run was
 * (`sessions replay` starts from it).
 */
import type { WorkspaceHistory } from './workspace-history.js';

/** The session a run belongs to, for its "before" checkpoint's trailers. */
export interface RunSession {
  readonly id: string;
  /**
   * The seq of the session's last stored message when the checkpoint is taken: this turn's
   * prompt (stored before any tool runs) or a later message of the same turn.
   */
  readonly lastSeq: () => Promise<number | undefined>;
}

export class RunCheckpoints {
  #before: Promise<unknown> | undefined;
  readonly run: string;

  constructor(
    private readonly history: WorkspaceHistory,
    private readonly agent: string,
    private readonly warn: (message: string) => void,
    private readonly session?: RunSession,
  ) {
    this.run = history.newRun();
  }

  /** Before the first change; a failure is a warning (the run goes on, without an undo). */
  ensureBefore(): Promise<unknown> {
    this.#before ??= this.history
      .runStarted(this.run)
      .then(() => this.#sessionMeta())
      .then((session) =>
        this.history.commit(`before run ${this.run} (${this.agent})`, {
          kind: 'before',
          run: this.run,
          agent: this.agent,
          ...session,
        }),
      )
      .catch((error: unknown) => {
        this.warn(
          `could not checkpoint the workspace before run ${this.run}, so it cannot be undone: ${message(error)}`,
        );
        return undefined;
      });
    return this.#before;
  }

  /** The session's trailers; its position is best effort (a checkpoint never fails for it). */
  async #sessionMeta(): Promise<Record<string, string>> {
    if (!this.session) return {};
    const seq = await this.session.lastSeq().catch(() => undefined);
    return { session: this.session.id, ...(seq !== undefined ? { 'session-seq': String(seq) } : {}) };
  }

  /** After the run, when it changed (or may have changed) something. */
  async finish(): Promise<void> {
    if (!this.#before) return;
    try {
      if ((await this.#before) === undefined) return;
      await this.history.commit(`after run ${this.run} (${this.agent})`, { kind: 'after', run: this.run });
    } catch (error) {
      this.warn(`could not checkpoint the workspace after run ${this.run}: ${message(error)}`);
    } finally {
      // Ended, its after taken or not: restores are allowed again.
      await this.history.runEnded(this.run).catch(() => {});
    }
  }
}

/** The error's message and, for one the user can act on (a cap to raise), what to do, in one line. */
function message(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { hint } = error as { hint?: unknown };
  return typeof hint === 'string' ? `${error.message} (${hint})` : error.message;
}

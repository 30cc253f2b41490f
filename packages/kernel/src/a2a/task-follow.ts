/**
 * Follows a remote A2A task's stream to its end: its id as soon as it is known (to cancel it),
 * working-status messages as progress lines, the answer from its artifacts (appended chunks
 * joined), the final state, and the usage an Oxydra remote reports in `metadata.oxydra`. A
 * remote that answers with a bare message (no task) is an answered task too.
 */
import type { Part, StreamResponse } from '@a2a-js/sdk';
import type { Usage } from '@oxydra/types';

type TaskEndState =
  | 'completed'
  | 'failed'
  | 'canceled'
  | 'rejected'
  | 'input_required'
  | 'auth_required'
  | 'unknown';

export interface TaskOutcome {
  taskId: string | undefined;
  contextId: string | undefined;
  state: TaskEndState;
  /** The answer: the artifacts' text, else the last status message's. */
  text: string;
  /** The final status message (why it failed, what input it needs). */
  statusText: string;
  usage: Usage;
}

const STATES: Record<number, TaskEndState> = {
  3: 'completed',
  4: 'failed',
  5: 'canceled',
  6: 'input_required',
  7: 'rejected',
  8: 'auth_required',
};
const WORKING = 2;
const MAX_PROGRESS_CHARS = 300;
/**
 * A remote's answer is cut here, all its artifacts together: the rest would only be truncated
 * for the model anyway, and a remote sending artifact after artifact would otherwise fill memory.
 */
const MAX_ANSWER_CHARS = 1_000_000;
/** Artifacts kept per task; a remote's further new ones are left out. */
const MAX_ARTIFACTS = 100;

/**
 * A task's kept artifacts, cut so that all of them stay within MAX_ANSWER_CHARS together. Their
 * total is kept as they change: summing them on every update would cost a remote sending many
 * small appends to many artifacts a quadratic amount of work.
 */
class KeptArtifacts {
  readonly #texts = new Map<string, string>();
  #chars = 0;

  /** Sets artifact `id` to `text`, cut to what the other artifacts leave of MAX_ANSWER_CHARS. */
  keep(id: string, text: string): void {
    const before = this.#texts.get(id);
    if (before === undefined && this.#texts.size >= MAX_ARTIFACTS) return;
    const others = this.#chars - (before?.length ?? 0);
    const kept = text.slice(0, Math.max(0, MAX_ANSWER_CHARS - others));
    this.#texts.set(id, kept);
    this.#chars = others + kept.length;
  }

  /**
   * Appends `text` to artifact `id`: only what still fits is joined on, so a remote appending
   * past the cap costs nothing per chunk (not a copy of the kept text).
   */
  append(id: string, text: string): void {
    const before = this.#texts.get(id);
    const room = MAX_ANSWER_CHARS - this.#chars;
    if (before === undefined) this.keep(id, text);
    else if (room > 0 && text !== '') this.keep(id, before + text.slice(0, room));
  }

  get size(): number {
    return this.#texts.size;
  }

  values(): IterableIterator<string> {
    return this.#texts.values();
  }
}

export interface FollowHooks {
  onTask(id: string): void;
  onProgress?(line: string): void;
}

export async function followTask(
  stream: AsyncIterable<StreamResponse>,
  hooks: FollowHooks,
): Promise<TaskOutcome> {
  const outcome: TaskOutcome = {
    taskId: undefined,
    contextId: undefined,
    state: 'unknown',
    text: '',
    statusText: '',
    usage: {},
  };
  const artifacts = new KeptArtifacts();
  const known = (taskId: string, contextId: string) => {
    if (outcome.taskId === undefined && taskId) hooks.onTask(taskId);
    outcome.taskId ||= taskId || undefined;
    outcome.contextId ||= contextId || undefined;
  };
  for await (const event of stream) {
    const payload = event.payload;
    if (!payload) continue;
    switch (payload.$case) {
      case 'message':
        known(payload.value.taskId, payload.value.contextId);
        outcome.state = 'completed';
        outcome.text = textOf(payload.value.parts);
        break;
      case 'task': {
        const task = payload.value;
        known(task.id, task.contextId);
        for (const artifact of task.artifacts) artifacts.keep(artifact.artifactId, textOf(artifact.parts));
        const state = task.status?.state;
        if (state !== undefined && STATES[state]) outcome.state = STATES[state];
        if (task.status?.message) outcome.statusText = textOf(task.status.message.parts);
        break;
      }
      case 'statusUpdate': {
        const update = payload.value;
        known(update.taskId, update.contextId);
        const text = update.status?.message ? textOf(update.status.message.parts) : '';
        const state = update.status?.state;
        if (state === WORKING) {
          if (text) hooks.onProgress?.(text.slice(0, MAX_PROGRESS_CHARS));
        } else if (state !== undefined && STATES[state]) {
          outcome.state = STATES[state];
          outcome.statusText = text;
          outcome.usage = reportedUsage(update.metadata);
        }
        break;
      }
      case 'artifactUpdate': {
        const update = payload.value;
        known(update.taskId, update.contextId);
        const artifact = update.artifact;
        if (!artifact) break;
        if (update.append) artifacts.append(artifact.artifactId, textOf(artifact.parts));
        else artifacts.keep(artifact.artifactId, textOf(artifact.parts));
        break;
      }
    }
  }
  if (artifacts.size > 0) outcome.text = [...artifacts.values()].filter(Boolean).join('\n\n');
  else if (outcome.state === 'completed' && !outcome.text) outcome.text = outcome.statusText;
  return outcome;
}

/** Text parts as they are, data parts as JSON, files by name or URL. */
function textOf(parts: readonly Part[]): string {
  return parts
    .map((part) => {
      const content = part.content;
      if (!content) return '';
      if (content.$case === 'text') return content.value;
      if (content.$case === 'data') return JSON.stringify(content.value);
      if (content.$case === 'url') return `[file ${part.filename || content.value}]`;
      return `[file ${part.filename || part.mediaType || 'data'}]`;
    })
    .filter(Boolean)
    .join('\n');
}

/** What an Oxydra remote says the task cost (`metadata.oxydra`); other remotes say nothing. */
function reportedUsage(metadata: Record<string, unknown> | undefined): Usage {
  const reported = metadata?.oxydra as Record<string, unknown> | undefined;
  if (!reported || typeof reported !== 'object') return {};
  const number = (value: unknown) =>
    typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
  const usage: Usage = {};
  const cost = number(reported.cost_usd);
  const input = number(reported.input_tokens);
  const output = number(reported.output_tokens);
  if (cost !== undefined) usage.costUsd = cost;
  if (input !== undefined) usage.inputTokens = input;
  if (output !== undefined) usage.outputTokens = output;
  return usage;
}

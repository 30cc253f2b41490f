/**
 * a2a_delegate: an agent hands a task to a remote A2A agent — one of `[a2a.remotes]`, or a URL
 * the model names (approved like a privileged call each time, public addresses only, no token) — and gets its
 * answer as the tool result. As for local sub-agents: the remote's progress reaches the caller's
 * stream, cancelling the call cancels the remote task, the call is audited, and what the remote
 * reports it cost (an Oxydra remote does) is charged to the caller's budgets; a caller whose
 * budget is spent cannot delegate. The SDK loads on the first call.
 */

import {
  type AgentConfig,
  shownUrl,
  showUntrusted,
  type Tool,
  type ToolContext,
  type ToolResult,
} from '@oxydra/types';
import { A2A_DELEGATE_TOOL } from '../assemble/permissions.js';
import type { BudgetAccount } from '../services/budgets/accounts.js';
import { AnswerTooLarge, OwnFailure, type RemoteTarget, remoteClient } from './remote-client.js';
import { followTask, type TaskOutcome } from './task-follow.js';

/** How long an unconfigured URL may take (a configured remote has its own timeout_secs). */
const URL_TIMEOUT_MS = 15 * 60 * 1000;
const CANCEL_TIMEOUT_MS = 5000;
const CONTEXT_ID = /^[A-Za-z0-9._:-]{1,100}$/;

export interface A2aDelegateOptions {
  config: AgentConfig;
  env: NodeJS.ProcessEnv;
  /** The caller's budget account (its limits and its ancestors'), when it has one. */
  accountOf(agentId: string | undefined): BudgetAccount | undefined;
  audit(actor: string, type: string, data: Record<string, unknown>, resource: string): void;
}

export function a2aDelegateTool(options: A2aDelegateOptions): Tool {
  const remotes = options.config.a2a.remotes;
  const names = Object.keys(remotes);
  const listing = names
    .map((name) => `${name}${remotes[name]?.description ? `: ${remotes[name]?.description}` : ''}`)
    .join('; ');
  const longest = Math.max(URL_TIMEOUT_MS, ...Object.values(remotes).map((r) => r.timeout_secs * 1000));
  return {
    name: A2A_DELEGATE_TOOL,
    description: `Hand a self-contained task to a remote A2A agent; returns its answer. Remotes: ${listing || 'none configured'}. Another A2A agent's http(s) URL needs the user's approval. Pass the returned context_id to continue the conversation.`,
    parameters: {
      type: 'object',
      properties: {
        url_or_name: {
          type: 'string',
          minLength: 1,
          description: "a remote's name or an A2A agent's base URL",
        },
        task: { type: 'string', minLength: 1, description: 'with everything the remote agent needs' },
        agent: { type: 'string', description: "one of the remote's skills, if it has several" },
        context_id: { type: 'string', description: 'of an earlier delegation, to continue it' },
      },
      required: ['url_or_name', 'task'],
      additionalProperties: false,
    },
    safety: 'side_effecting',
    // A URL nobody configured is a new place to send workspace data: a person says yes each time.
    needsApproval: (args) => {
      const target = resolveTarget(String(args.url_or_name ?? ''), options);
      return typeof target !== 'string' && !target.configured;
    },
    // The answer is the remote's words, a configured remote's too (as an MCP server's): untrusted.
    provenance: (args) => {
      const target = resolveTarget(String(args.url_or_name ?? ''), options);
      return typeof target === 'string' ? undefined : { kind: 'a2a', source: sourceOf(target) };
    },
    timeoutMs: longest + CANCEL_TIMEOUT_MS * 2,
    async execute(args, context) {
      const target = resolveTarget(String(args.url_or_name), options);
      if (typeof target === 'string') return { content: target, isError: true };
      const contextId = typeof args.context_id === 'string' ? args.context_id : undefined;
      if (contextId !== undefined && !CONTEXT_ID.test(contextId)) {
        return { content: 'context_id is the context_id an earlier delegation returned', isError: true };
      }
      const account = options.accountOf(context.agentId);
      let outcome: TaskOutcome | undefined;
      const run = async () => {
        outcome = await delegate(target, args, contextId, context, options).catch((error: unknown) => {
          throw remoteOrOwn(error);
        });
        return { text: '', usage: outcome.usage, provider: 'a2a', model: target.label };
      };
      try {
        if (account) await account.sideCall(run, 'remote');
        else await run();
      } catch (error) {
        return { content: failureContent(target, error), isError: true };
      } finally {
        options.audit(
          `agent:${context.agentId ?? 'unknown'}`,
          'a2a_delegate',
          auditData(target, outcome),
          target.label,
        );
      }
      return resultOf(target, outcome!);
    },
  };
}

function resolveTarget(value: string, options: A2aDelegateOptions): RemoteTarget | string {
  const remotes = options.config.a2a.remotes;
  const named = remotes[value] ?? Object.values(remotes).find((remote) => sameUrl(remote.url, value));
  if (named) {
    const label = remotes[value] ? value : Object.keys(remotes).find((name) => remotes[name] === named)!;
    const token = named.token_env !== undefined ? options.env[named.token_env] : undefined;
    if (named.token_env !== undefined && !token) {
      return `remote "${label}" needs the token in $${named.token_env}, which is not set`;
    }
    return {
      label,
      url: named.url,
      ...(token ? { token } : {}),
      configured: true,
      timeoutMs: named.timeout_secs * 1000,
    };
  }
  if (!/^https?:\/\//i.test(value)) {
    const known = Object.keys(remotes);
    return `unknown remote "${value}"; configured: ${known.join(', ') || 'none (add [a2a.remotes.<name>] url = "...")'}; or give an http(s) URL`;
  }
  try {
    new URL(value);
  } catch {
    return `not a valid URL: ${value}`;
  }
  return { label: value, url: value, configured: false, timeoutMs: URL_TIMEOUT_MS };
}

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

async function delegate(
  target: RemoteTarget,
  args: Record<string, unknown>,
  contextId: string | undefined,
  context: ToolContext,
  options: A2aDelegateOptions,
): Promise<TaskOutcome> {
  const signal = AbortSignal.any([context.signal, AbortSignal.timeout(target.timeoutMs)]);
  const client = await remoteClient(target, options.config.tools.web_search.egress_allowlist);
  const agent = typeof args.agent === 'string' && args.agent !== '' ? args.agent : undefined;
  const progress = context.onProgress;
  let taskId: string | undefined;
  let taskKnown: (id: string) => void = () => {};
  const firstTaskId = new Promise<string>((resolve) => {
    taskKnown = resolve;
  });
  // The stream is not cut the moment the caller gives up: a cancel that comes before the
  // remote's first event has named the task would leave the remote task running. Giving up
  // cancels the remote task first (waiting a bounded time to learn its id), then ends the stream.
  const stream = new AbortController();
  let cancelled: Promise<void> | undefined;
  const cancelRemote = async () => {
    const id =
      taskId ??
      (await Promise.race([
        firstTaskId,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), CANCEL_TIMEOUT_MS).unref()),
      ]));
    if (id !== undefined) {
      await client
        .cancelTask(
          { id, tenant: '', metadata: undefined },
          { signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) },
        )
        .catch(() => {});
    }
    stream.abort(signal.reason);
  };
  const onAbort = () => {
    cancelled = cancelRemote();
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    const outcome = await followTask(
      client.sendMessageStream(
        {
          tenant: '',
          message: {
            messageId: crypto.randomUUID(),
            contextId: contextId ?? '',
            taskId: '',
            role: 1,
            parts: [
              {
                content: { $case: 'text', value: String(args.task) },
                metadata: undefined,
                filename: '',
                mediaType: 'text/plain',
              },
            ],
            metadata: agent !== undefined ? { agent } : undefined,
            extensions: [],
            referenceTaskIds: [],
          },
          configuration: undefined,
          metadata: undefined,
        },
        { signal: stream.signal },
      ),
      {
        onTask: (id) => {
          taskId = id;
          taskKnown(id);
        },
        ...(progress ? { onProgress: (line: string) => progress(`${target.label}: ${line}`) } : {}),
      },
    );
    // The remote may end the stream itself once it has the cancel: still a call given up.
    if (!signal.aborted) return outcome;
    throw signal.reason;
  } catch (error) {
    // Cut at the byte cap: the remote task would stream on for nobody.
    if (error instanceof AnswerTooLarge && !signal.aborted) await cancelRemote();
    if (!signal.aborted) throw error;
    // Given up (the caller's cancel, or the remote's timeout): the remote stops too.
    await cancelled;
    if (context.signal.aborted) throw error;
    throw new OwnFailure(
      `no answer within ${Math.round(target.timeoutMs / 1000)} s; the remote task was cancelled`,
    );
  } finally {
    signal.removeEventListener('abort', onAbort);
    stream.abort();
  }
}

/** What a remote said in a failure (the SDK quotes its JSON-RPC error, its HTTP body). */
class RemoteFailure extends Error {
  override name = 'RemoteFailure';
}

/** Most of the remote's words a failure shows: enough to tell what went wrong. */
const MAX_REMOTE_ERROR_CHARS = 2000;

/**
 * A delegation's failure, sorted: Oxydra's own (a refusal of the SSRF guard or of a redirect, the
 * timeout, the network, the caller's cancel) as it is, anything else as the remote's words.
 */
function remoteOrOwn(error: unknown): unknown {
  if (!(error instanceof Error)) return new RemoteFailure(String(error));
  const own =
    error instanceof OwnFailure ||
    ['EgressRefused', 'AbortError', 'TimeoutError'].includes(error.name) ||
    (error instanceof TypeError && error.message === 'fetch failed');
  return own ? error : new RemoteFailure(error.message);
}

/** An own failure as a plain line; the remote's words below the untrusted line, as an answer's. */
function failureContent(target: RemoteTarget, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof RemoteFailure)) return `${target.label}: ${message}`;
  const said =
    message.length > MAX_REMOTE_ERROR_CHARS ? `${message.slice(0, MAX_REMOTE_ERROR_CHARS)}…` : message;
  return showUntrusted(
    [`[${shownUrl(target.label)}: the delegation failed; the error below quotes the remote]`],
    `the remote agent ${sourceOf(target)}`,
    said,
  );
}

/** "r (https://agent.example)" for a configured remote, the URL for one the model gave. */
const sourceOf = (target: RemoteTarget): string =>
  target.configured ? `${target.label} (${new URL(target.url).origin})` : shownUrl(target.url);

/**
 * The remote's answer (or its status message) below the untrusted line, Oxydra's own words
 * above it: the state, and the context id when it is one a2a_delegate takes back (the remote
 * chose it, and a free text there would read as Oxydra's).
 */
function resultOf(target: RemoteTarget, outcome: TaskOutcome): ToolResult {
  const data = {
    remote: target.label,
    task_id: outcome.taskId,
    context_id: outcome.contextId,
    state: outcome.state,
    cost_usd: outcome.usage.costUsd ?? null,
  };
  const notes: string[] = [];
  const completed = outcome.state === 'completed';
  if (!completed) notes.push(`[${shownUrl(target.label)} did not finish the task (${outcome.state})]`);
  else if (!outcome.text) notes.push(`[${shownUrl(target.label)} finished the task with no answer]`);
  if (outcome.contextId && CONTEXT_ID.test(outcome.contextId)) {
    notes.push(`[context_id: ${outcome.contextId}; pass it as context_id to continue]`);
  }
  const said = completed ? outcome.text : outcome.statusText;
  const content =
    said === '' ? notes.join('\n') : showUntrusted(notes, `the remote agent ${sourceOf(target)}`, said);
  return completed ? { content, data } : { content, isError: true, data };
}

function auditData(target: RemoteTarget, outcome: TaskOutcome | undefined): Record<string, unknown> {
  return {
    remote: target.label,
    origin: new URL(target.url).origin,
    configured: target.configured,
    ...(outcome
      ? { task: outcome.taskId, state: outcome.state, cost_usd: outcome.usage.costUsd ?? null }
      : { state: 'error' }),
  };
}

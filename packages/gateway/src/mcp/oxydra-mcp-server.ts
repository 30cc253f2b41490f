/**
 * Oxydra as an MCP server, for any MCP client (Claude Desktop, Claude Code, IDEs): run_agent
 * (progress notifications while it works, cancelled when the client cancels), memory_search,
 * memory_save, sessions_list and session_transcript, all over one kernel and acting as one
 * user — the terminal's for `oxydra mcp serve`, the token's over the gateway's /mcp. Which
 * sessions that is the kernel's rule (sessionAccess, given the user): a user sees only their own,
 * the workspace's owner every one; this server only passes the identity on. The transport is the
 * caller's (stdio, or Streamable HTTP).
 */

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Admission, type Kernel, type Release } from '@oxydra/kernel';
import { isOxydraError, type Message, messageText, UsageError } from '@oxydra/types';
import { z } from 'zod';
import { hitJson } from '../memory-hit.js';
import { RunProgress } from '../run-progress.js';

export interface McpServerScope {
  /**
   * The user the client acts as, which the kernel holds every session read to; undefined: the
   * workspace's owner (the terminal, an owner, operator or admin token), who may read all.
   */
  userId?: string;
  /**
   * Over the gateway: a slot of the kernel's per-user limit (the user's, or the token's when it
   * acts for no user; the deployment's when there are several processes), or why not.
   */
  takeRun?: () => Promise<{ release: Release } | { refusal: string }>;
  /**
   * Over the gateway: what the client may see of a failed run's error and of an error a tool
   * threw (an internal one's message may hold anything, so it goes to the log only:
   * publicRunError, publicFailure). Unset: errors as they are (the terminal's own stdio server).
   */
  reveal?: {
    run(error: { code: string; message: string }, agentId: string): { message: string };
    thrown(error: unknown): string;
  };
}

const VERSION = '0.1.0';
const MAX_TRANSCRIPT_CHARS = 200_000;

const text = (value: string, isError = false): CallToolResult => ({
  content: [{ type: 'text', text: value }],
  ...(isError ? { isError: true } : {}),
});

/** A tool error: the error's message, and its hint when it has one (how to fix it). */
const failureText = (error: unknown): string => {
  const hint = isOxydraError(error) ? error.hint : undefined;
  return `${(error as Error).message}${hint ? `\n${hint}` : ''}`;
};

const MEMORY_OFF = 'memory is off ([memory] enabled = false): no sessions are stored';

export function createOxydraMcpServer(kernel: Kernel, scope: McpServerScope): McpServer {
  const server = new McpServer(
    { name: 'oxydra', version: VERSION },
    {
      instructions:
        "Oxydra runs AI agents on this machine's workspace. Use run_agent to hand a task to an agent (it can read and change files and run sandboxed commands); use memory_search/memory_save for the workspace's long-term notes.",
    },
  );
  const user = scope.userId !== undefined ? { userId: scope.userId } : {};
  const failure = (error: unknown) => text(scope.reveal?.thrown(error) ?? failureText(error), true);

  server.registerTool(
    'run_agent',
    {
      title: 'Run an Oxydra agent',
      description:
        'Runs an Oxydra agent on a task in its workspace until it is done, and returns its answer, with the session it ran in (pass it as "session" to continue), its model calls, tokens and cost. It can read and change files and run commands in the sandbox. Progress is reported while it works; cancelling the call stops the agent.',
      inputSchema: {
        prompt: z.string().min(1).max(200_000).describe('the task, as you would tell a colleague'),
        agent: z.string().min(1).max(64).optional().describe(agentsNote(kernel)),
        session: z.string().min(1).max(128).optional().describe('a session to continue (or a new name)'),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
    },
    async ({ prompt, agent, session }, extra) => {
      let slot: { release: Release } | { refusal: string };
      try {
        slot = (await scope.takeRun?.()) ?? { release: async () => {} };
      } catch (error) {
        return failure(error);
      }
      if ('refusal' in slot) return text(slot.refusal, true);
      let handle: ReturnType<Kernel['agents']['spawn']>;
      try {
        const sessionId = session !== undefined ? await ownSession(kernel, scope, session) : undefined;
        handle = kernel.agents.spawn({
          prompt,
          ...(agent !== undefined ? { agent } : {}),
          ...(sessionId !== undefined ? { sessionId } : {}),
          ...user,
        });
      } catch (error) {
        void slot.release();
        return failure(error);
      }
      const cancel = () => void handle.cancel('cancelled by the MCP client');
      // This process cut off from the deployment: the others report the run's claim interrupted.
      const unhook = Admission.stopOnCutOff(slot.release, (why) => void handle.cancel(why.message));
      if (extra.signal.aborted) cancel();
      extra.signal.addEventListener('abort', cancel, { once: true });
      const token = extra._meta?.progressToken;
      const lines = new RunProgress(handle.id);
      let step = 0;
      try {
        for await (const envelope of handle.events) {
          if (token === undefined) continue;
          const message = lines.line(envelope);
          if (message === undefined) continue;
          step += 1;
          extra
            .sendNotification({
              method: 'notifications/progress',
              params: { progressToken: token, progress: step, message },
            })
            .catch(() => {});
        }
        const result = await handle.result;
        const error = result.error && (scope.reveal?.run(result.error, result.agentId) ?? result.error);
        const answer =
          result.status === 'completed' ? result.text : `the agent ${result.status}: ${error?.message ?? ''}`;
        return {
          content: [{ type: 'text', text: answer }],
          structuredContent: {
            status: result.status,
            session_id: result.sessionId ?? null,
            agent_id: result.agentId,
            turns: result.turns,
            usage: {
              input_tokens: result.usage.inputTokens ?? null,
              output_tokens: result.usage.outputTokens ?? null,
            },
            cost_usd: result.costUsd,
          },
          ...(result.status === 'completed' ? {} : { isError: true }),
        };
      } finally {
        extra.signal.removeEventListener('abort', cancel);
        unhook();
        await slot.release();
      }
    },
  );

  server.registerTool(
    'memory_search',
    {
      title: 'Search Oxydra memory',
      description: "Searches the workspace's notes and past conversations (meaning and keywords).",
      inputSchema: {
        query: z.string().min(1).max(2_000),
        top_k: z.number().int().min(1).max(50).optional(),
      },
      annotations: { readOnlyHint: true },
    },
    async ({ query, top_k }) => {
      try {
        const hits = await (await kernel.service('memory')).recall(query, {
          ...(top_k !== undefined ? { topK: top_k } : {}),
          ...user,
        });
        if (hits.length === 0) return text('nothing found');
        return {
          content: [{ type: 'text', text: hits.map((hit, i) => `${i + 1}. ${hit.text}`).join('\n\n') }],
          structuredContent: {
            hits: hits.map(hitJson),
          },
        };
      } catch (error) {
        return failure(error);
      }
    },
  );

  server.registerTool(
    'memory_save',
    {
      title: 'Save a note to Oxydra memory',
      description: 'Saves a note the agents of this workspace can recall later.',
      inputSchema: {
        content: z.string().min(1).max(100_000),
        tags: z.array(z.string().min(1).max(64)).max(20).optional(),
      },
      annotations: { readOnlyHint: false, destructiveHint: false },
    },
    async ({ content, tags }) => {
      try {
        const saved = await (await kernel.service('memory')).remember(content, {
          ...(tags ? { tags } : {}),
          ...user,
        });
        return text(`saved note ${saved.id}`);
      } catch (error) {
        return failure(error);
      }
    },
  );

  server.registerTool(
    'sessions_list',
    {
      title: 'List Oxydra sessions',
      description: 'The stored conversations, newest first: id, title, agent, messages, last activity.',
      inputSchema: { limit: z.number().int().min(1).max(200).optional() },
      annotations: { readOnlyHint: true },
    },
    async ({ limit }) => {
      if (!kernel.config.memory.enabled) return text(MEMORY_OFF, true);
      const list = await (await kernel.service('sessionAccess')).list(
        { archived: false, limit: limit ?? 20 },
        user,
      );
      if (list.length === 0) return text('no sessions');
      return {
        content: [
          {
            type: 'text',
            text: list
              .map(
                (s) =>
                  `${s.id}  ${s.updatedAt.slice(0, 16).replace('T', ' ')}  ${s.messageCount} messages  ${s.title ?? ''}`,
              )
              .join('\n'),
          },
        ],
        structuredContent: {
          sessions: list.map((s) => ({
            id: s.id,
            title: s.title ?? null,
            agent: s.agent ?? null,
            messages: s.messageCount,
            updated_at: s.updatedAt,
          })),
        },
      };
    },
  );

  server.registerTool(
    'session_transcript',
    {
      title: 'Read an Oxydra session',
      description: "A stored conversation's messages, oldest first (long transcripts are cut at the start).",
      inputSchema: { session: z.string().min(1).max(128).describe('its id, short id or name') },
      annotations: { readOnlyHint: true },
    },
    async ({ session }) => {
      if (!kernel.config.memory.enabled) return text(MEMORY_OFF, true);
      const access = await kernel.service('sessionAccess');
      const ids = await access.lookup(session, user);
      if (ids.length !== 1) {
        return text(
          ids.length === 0
            ? `no session "${session}"`
            : `"${session}" names ${ids.length} sessions: ${ids.join(', ')}`,
          true,
        );
      }
      try {
        return text(transcript(await access.messages(ids[0]!, user)));
      } catch (error) {
        return failure(error);
      }
    },
  );

  return server;
}

function agentsNote(kernel: Kernel): string {
  const names = Object.keys(kernel.config.agents);
  return names.length === 0
    ? 'unused: this workspace configures no named agents ([agents.<name>])'
    : `one of the configured agents (${names.join(', ')}); unset: the default agent`;
}

/**
 * The session a run_agent `session` names: the kernel resolves names within the user's sessions,
 * and refuses (takenByOther) a full id of another user's, which the owner's scope never is.
 */
async function ownSession(kernel: Kernel, scope: McpServerScope, typed: string): Promise<string> {
  if (!kernel.config.memory.enabled) throw new UsageError(`${MEMORY_OFF}: run without "session"`);
  const id = await kernel.resolveSession(typed, scope.userId !== undefined ? { userId: scope.userId } : {});
  if (await (await kernel.service('sessionAccess')).takenByOther(id, { userId: scope.userId })) {
    throw new UsageError(
      `no session "${typed}" of yours, and another user's has that id: choose another name`,
    );
  }
  return id;
}

function transcript(messages: readonly Message[]): string {
  const lines = messages.map((message) => {
    if (message.role === 'tool')
      return `[tool ${message.toolName}${message.isError ? ', failed' : ''}] ${message.content}`;
    const calls =
      message.role === 'assistant' && message.toolCalls?.length
        ? ` [calls ${message.toolCalls.map((call) => call.name).join(', ')}]`
        : '';
    return `[${message.role}] ${messageText(message)}${calls}`;
  });
  const all = lines.join('\n\n');
  return all.length > MAX_TRANSCRIPT_CHARS ? `[...]\n${all.slice(-MAX_TRANSCRIPT_CHARS)}` : all;
}

/**
 * Session exports: JSONL for machines (lossless except the attachment bytes, which the store
 * never kept) and Markdown for people.
 */
import type { AssistantMessage, ContentPart, Message, SessionStore, StoredEvent } from '@oxydra/types';
import { SessionNotFoundError } from './errors.js';
import type { Session } from './store/libsql/sessions.js';
import { attachmentPlaceholder } from './store-input.js';

/** The JSONL header's format name and version: bump the version when a line's shape changes. */
const SESSION_EXPORT_FORMAT = 'oxydra.session';
const SESSION_EXPORT_VERSION = 1;

/** Per tool result (and tool-call arguments) in Markdown: enough to follow, not whole files. */
const DEFAULT_MARKDOWN_RESULT_CHARS = 4000;

async function snapshot(
  store: SessionStore,
  id: string,
): Promise<{ session: Session; events: StoredEvent[] }> {
  const session = await store.get(id);
  if (!session) throw new SessionNotFoundError(id);
  return { session, events: await store.loadEvents(id) };
}

/**
 * One JSON object per line: a header `{"type":"session", ...}` with the session record
 * (absent fields as null), then `{"type":"message", seq, turn, role, created_at, message}`
 * per message in order. Ends with a newline.
 */
export async function exportSessionJsonl(store: SessionStore, id: string): Promise<string> {
  const { session, events } = await snapshot(store, id);
  const header = {
    type: 'session',
    format: SESSION_EXPORT_FORMAT,
    version: SESSION_EXPORT_VERSION,
    id: session.id,
    title: session.title ?? null,
    user_id: session.userId ?? null,
    agent: session.agent ?? null,
    parent_session_id: session.parentSessionId ?? null,
    created_at: session.createdAt,
    updated_at: session.updatedAt,
    message_count: events.length,
  };
  const lines = [JSON.stringify(header)];
  for (const event of events) {
    lines.push(
      JSON.stringify({
        type: 'message',
        seq: event.seq,
        turn: event.turn,
        role: event.role,
        created_at: event.createdAt,
        message: event.message,
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A code fence longer than any backtick run inside `text`, so the text cannot close it. */
function fenced(text: string, language: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${text}\n${fence}`;
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n… [truncated: showing ${max} of ${text.length} characters]`;
}

function userContent(content: string | ContentPart[]): string {
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? part.text : attachmentPlaceholder(part))).join('\n\n');
}

function assistantBlocks(message: AssistantMessage, max: number): string[] {
  const blocks: string[] = [];
  const reasoning = (message.reasoning ?? []).map((block) => block.text.trim()).filter((text) => text !== '');
  if (reasoning.length > 0) {
    const quoted = reasoning
      .join('\n\n')
      .split('\n')
      .map((line) => (line === '' ? '>' : `> ${line}`));
    blocks.push(['> **Reasoning**', '>', ...quoted].join('\n'));
  }
  if (message.content.trim() !== '') blocks.push(message.content);
  for (const call of message.toolCalls ?? []) {
    blocks.push(`**Tool call** \`${call.name}\` (id \`${call.id}\`)`);
    blocks.push(fenced(clip(JSON.stringify(call.arguments, null, 2), max), 'json'));
  }
  return blocks;
}

function messageBlocks(message: Message, max: number): string[] {
  switch (message.role) {
    case 'system':
      return ['## System', message.content];
    case 'user':
      return ['## User', userContent(message.content)];
    case 'assistant':
      return ['## Assistant', ...assistantBlocks(message, max)];
    case 'tool': {
      const label = message.isError ? 'Tool error' : 'Tool result';
      return [
        `### ${label}: \`${message.toolName}\` (id \`${message.toolCallId}\`)`,
        fenced(clip(message.content, max), 'text'),
      ];
    }
  }
}

/**
 * A readable transcript: the title, the session's details, then `## User` / `## Assistant`
 * (and `## System`) sections in order; tool calls as fenced JSON, tool results as fenced text
 * under `### Tool result`, each cut at `maxResultChars` with a note saying how much was left out.
 */
export async function exportSessionMarkdown(
  store: SessionStore,
  id: string,
  options: { maxResultChars?: number } = {},
): Promise<string> {
  const max = options.maxResultChars ?? DEFAULT_MARKDOWN_RESULT_CHARS;
  const { session, events } = await snapshot(store, id);
  const details = [
    `- Session: \`${session.id}\``,
    `- Created: ${session.createdAt}`,
    `- Updated: ${session.updatedAt}`,
    ...(session.userId !== undefined ? [`- User: ${session.userId}`] : []),
    ...(session.agent !== undefined ? [`- Agent: ${session.agent}`] : []),
    ...(session.parentSessionId !== undefined ? [`- Parent session: \`${session.parentSessionId}\``] : []),
    `- Messages: ${events.length}`,
  ];
  const blocks = [`# ${session.title ?? 'Untitled session'}`, details.join('\n')];
  for (const event of events) blocks.push(...messageBlocks(event.message, max));
  return `${blocks.filter((block) => block !== '').join('\n\n')}\n`;
}

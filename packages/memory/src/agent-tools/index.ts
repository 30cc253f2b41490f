export type { MemoryToolDeps, NoteView } from './deps.js';

import { defineTool } from '@oxydra/tools';
import {
  chunkTaint,
  DEFAULT_UNTRUSTED,
  describeProvenance,
  type Provenance,
  recalledUntrustedLine,
  type SearchHit,
  type Tool,
  type ToolResult,
} from '@oxydra/types';
import { z } from 'zod';
import type { MemoryToolDeps, NoteScope } from './deps.js';

/** memory_search/save/update/delete and scratchpad_read/write/clear over one memory database. */
export function createMemoryTools(deps: MemoryToolDeps): Tool[] {
  return [...noteTools(deps), ...scratchpadTools(deps)];
}

/**
 * memory_search, memory_save, memory_update, memory_delete: notes the agent keeps across
 * sessions of the same workspace (and user), found again by meaning and by keyword.
 * Limits after Oxydra: ≤ 16 tags of ≤ 64 characters; top_k ≤ 20. Only memory_save is offered
 * by default: what was saved comes back on its own (every new user message recalls the notes and
 * past conversations that match it), and managing notes is rare in a run (`oxydra memory` and the
 * dashboard do it for the user). memory_search, memory_update and memory_delete are offered on
 * request (an agent's `tools` naming them).
 */

export const MAX_TAGS = 16;
export const MAX_TAG_CHARS = 64;

// Schemas are built at a tool's first use (defineTool calls `parameters`), not at start-up.
const tags = () =>
  z
    .array(z.string().min(1).max(MAX_TAG_CHARS, `each tag is at most ${MAX_TAG_CHARS} characters`))
    .max(MAX_TAGS, `at most ${MAX_TAGS} tags`)
    .optional()
    .describe('labels to find it by');

const noteId = () =>
  z.string().regex(/^note-[0-9a-f-]{36}$/, 'a note id looks like note-<uuid>, as memory_save returned it');

/**
 * What the run's context holds besides the operator's words, kept with the note (a person's yes
 * to save it under [taint.rules] memory = "ask" vouches for saving it, not for every later use):
 * recall then taints the session it reaches, as it would with the conversation it came from.
 */
function noteTaint(context: { provenance?: readonly Provenance[] }): { taint?: Provenance[] } {
  const taint = context.provenance === undefined ? undefined : chunkTaint(context.provenance);
  return taint === undefined ? {} : { taint };
}

/** Notes of the run's user only (all notes when runs have no user). */
function scopeOf(context: { userId?: string }): NoteScope {
  return context.userId ? { userId: context.userId } : {};
}

function noteTools(deps: MemoryToolDeps) {
  const memorySearch = defineTool({
    name: 'memory_search',
    description:
      'Search saved notes (and, with include_conversation, past conversations) by meaning and words: the best matches, with note ids.',
    parameters: () =>
      z.object({
        query: z.string().min(1),
        top_k: z.number().int().min(1).max(20).optional().describe('default 5'),
        include_conversation: z.boolean().optional(),
        tags: tags().describe('only notes with all these tags'),
      }),
    safety: 'read_only',
    onRequest: true,
    async execute(args, context) {
      const hits = await deps.search({
        query: args.query,
        topK: args.top_k ?? 5,
        includeConversation: args.include_conversation ?? false,
        ...(args.tags ? { tags: args.tags } : {}),
        ...(context.userId ? { userId: context.userId } : {}),
        ...noteTaint(context),
      });
      if (hits.length === 0) return { content: `No memories match "${args.query}".`, data: [] };
      return searchResult(hits);
    },
  });

  const memorySave = defineTool({
    name: 'memory_save',
    description:
      'Remember one fact across sessions (the user, their preferences, decisions, lessons), understandable without context.',
    parameters: () => z.object({ content: z.string().min(1), tags: tags() }),
    safety: 'side_effecting',
    async execute(args, context) {
      const note = await deps.notes.save({
        content: args.content,
        ...(args.tags ? { tags: args.tags } : {}),
        ...(context.userId ? { userId: context.userId } : {}),
        ...noteTaint(context),
      });
      return { content: `Saved note ${note.id}.`, data: { note_id: note.id } };
    },
  });

  const memoryUpdate = defineTool({
    name: 'memory_update',
    description: 'Replace the content (and tags) of a saved note, when the fact changed.',
    parameters: () => z.object({ note_id: noteId(), content: z.string().min(1), tags: tags() }),
    safety: 'side_effecting',
    onRequest: true,
    async execute(args, context) {
      const scope = scopeOf(context);
      if (!(await deps.notes.get(args.note_id, scope))) {
        return { content: `There is no note ${args.note_id}; find ids with memory_search.`, isError: true };
      }
      await deps.notes.update(
        args.note_id,
        { content: args.content, ...(args.tags ? { tags: args.tags } : {}), ...noteTaint(context) },
        scope,
      );
      return `Updated note ${args.note_id}.`;
    },
  });

  const memoryDelete = defineTool({
    name: 'memory_delete',
    description: 'Delete a saved note that is wrong or no longer wanted.',
    parameters: () => z.object({ note_id: noteId() }),
    safety: 'side_effecting',
    onRequest: true,
    async execute(args, context) {
      const scope = scopeOf(context);
      if (!(await deps.notes.get(args.note_id, scope))) {
        return { content: `There is no note ${args.note_id}; find ids with memory_search.`, isError: true };
      }
      await deps.notes.delete(args.note_id, scope);
      return `Deleted note ${args.note_id}.`;
    },
  });

  return [memorySearch, memorySave, memoryUpdate, memoryDelete];
}

const where = (hit: SearchHit) =>
  hit.noteId ? `note ${hit.noteId}` : `conversation ${hit.sessionId ?? ''}`.trim();

/**
 * The hits as the model reads them. Those written while a context held other sources than the
 * operator's words (SearchHit.taint) come after the others, below one untrusted line (no closing
 * marker a hit could forge), and the result carries their likeliest untrusted source so the run
 * is tainted as recall would taint it (docs/security.md, "Recalled conversations").
 */
function searchResult(hits: readonly SearchHit[]): ToolResult {
  const line = (hit: SearchHit, i: number) => {
    const labels = hit.tags && hit.tags.length > 0 ? ` [${hit.tags.join(', ')}]` : '';
    return `${i + 1}. (${where(hit)}, score ${hit.score.toFixed(2)})${labels}\n${hit.text}`;
  };
  const clean = hits.filter((hit) => hit.taint === undefined);
  if (clean.length === hits.length) return { content: hits.map(line).join('\n\n'), data: hits };
  const tainted = hits.filter((hit) => hit.taint !== undefined);
  const sources = tainted.flatMap((hit) => hit.taint!.map((taint) => ({ hit, taint })));
  // The kinds untrusted by default first: the result holds one provenance, the policy's to judge.
  const first = sources.find(({ taint }) => DEFAULT_UNTRUSTED_KINDS.has(taint.kind)) ?? sources[0]!;
  const provenance: Provenance = {
    kind: first.taint.kind,
    source: `${first.taint.source === undefined ? '' : `${first.taint.source} `}(found by memory_search in ${where(first.hit)})`,
  };
  const content = [
    ...clean.map(line),
    recalledUntrustedLine(`${describeProvenance(provenance)} or other sources besides the user`, 'result'),
    ...tainted.map((hit, i) => line(hit, clean.length + i)),
  ].join('\n\n');
  return { content, data: hits, provenance };
}

const DEFAULT_UNTRUSTED_KINDS: ReadonlySet<string> = new Set(DEFAULT_UNTRUSTED);

/**
 * scratchpad_read, scratchpad_write, scratchpad_clear: a small working list for the current
 * session (a plan, what is done, what is next), kept in session state. Limits after Oxydra:
 * ≤ 32 items of ≤ 240 characters, ≤ 8 KiB in all; a write replaces the whole pad. Offered on
 * request only (an agent's `tools` naming them): today's models keep a plan in their own
 * reasoning, and three definitions on every call cost more than the pad saves most runs.
 */

export const SCRATCHPAD_KEY = 'scratchpad';
export const MAX_SCRATCHPAD_ITEMS = 32;
export const MAX_SCRATCHPAD_ITEM_CHARS = 240;
export const MAX_SCRATCHPAD_BYTES = 8 * 1024;

interface Pad {
  items: string[];
  updated_at: string;
}

function sessionOf(context: { sessionId?: string }): string {
  if (!context.sessionId) throw new Error('the scratchpad needs a session, and this run has none');
  return context.sessionId;
}

function scratchpadTools(deps: MemoryToolDeps) {
  const read = async (sessionId: string) => {
    const stored = await deps.state.get(sessionId, SCRATCHPAD_KEY);
    const pad: Pad = stored ? (JSON.parse(stored.value) as Pad) : { items: [], updated_at: '' };
    return { pad, epoch: stored ? stored.epoch : null };
  };

  /** Write the pad, retrying once if another writer got there between our read and write. */
  const write = async (sessionId: string, items: string[]) => {
    const value = JSON.stringify({ items, updated_at: new Date().toISOString() } satisfies Pad);
    for (let attempt = 0; attempt < 2; attempt++) {
      const { epoch } = await read(sessionId);
      if (await deps.state.set(sessionId, SCRATCHPAD_KEY, value, epoch)) return;
    }
    throw new Error('the scratchpad changed while writing it; read it again and retry');
  };

  const scratchpadRead = defineTool({
    name: 'scratchpad_read',
    description: "Read this session's scratchpad.",
    parameters: () => z.object({}),
    safety: 'read_only',
    onRequest: true,
    async execute(_args, context) {
      const sessionId = sessionOf(context);
      const { pad } = await read(sessionId);
      const data = {
        session_id: sessionId,
        items: pad.items,
        updated_at: pad.updated_at,
        item_count: pad.items.length,
      };
      const content =
        pad.items.length === 0
          ? 'The scratchpad is empty.'
          : pad.items.map((item, i) => `${i + 1}. ${item}`).join('\n');
      return { content, data };
    },
  });

  const scratchpadWrite = defineTool({
    name: 'scratchpad_write',
    description:
      "Replace this session's scratchpad: your plan, progress and next steps as short items (8 KiB in all).",
    parameters: () =>
      z.object({
        items: z
          .array(
            z
              .string()
              .min(1)
              .max(
                MAX_SCRATCHPAD_ITEM_CHARS,
                `each item is at most ${MAX_SCRATCHPAD_ITEM_CHARS} characters; split it`,
              ),
          )
          .min(1, 'write at least one item (use scratchpad_clear to empty it)')
          .max(MAX_SCRATCHPAD_ITEMS, `at most ${MAX_SCRATCHPAD_ITEMS} items; merge or drop finished ones`),
      }),
    safety: 'side_effecting',
    onRequest: true,
    async execute(args, context) {
      const bytes = Buffer.byteLength(JSON.stringify(args.items), 'utf8');
      if (bytes > MAX_SCRATCHPAD_BYTES) {
        return {
          content: `The scratchpad would take ${bytes} bytes; it holds at most ${MAX_SCRATCHPAD_BYTES}. Shorten the items.`,
          isError: true,
        };
      }
      await write(sessionOf(context), args.items);
      return `Scratchpad saved (${args.items.length} item${args.items.length === 1 ? '' : 's'}).`;
    },
  });

  const scratchpadClear = defineTool({
    name: 'scratchpad_clear',
    description: "Empty this session's scratchpad.",
    parameters: () => z.object({}),
    safety: 'side_effecting',
    onRequest: true,
    async execute(_args, context) {
      await write(sessionOf(context), []);
      return 'Scratchpad cleared.';
    },
  });

  return [scratchpadRead, scratchpadWrite, scratchpadClear];
}

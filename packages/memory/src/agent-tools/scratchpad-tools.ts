/**
 * scratchpad_read, scratchpad_write, scratchpad_clear: a small working list for the current
 * session (a plan, what is done, what is next), kept in session state. Limits after Oxydra:
 * ≤ 32 items of ≤ 240 characters, ≤ 8 KiB in all; a write replaces the whole pad. Offered on
 * request only (an agent's `tools` naming them): today's models keep a plan in their own
 * reasoning, and three definitions on every call cost more than the pad saves most runs.
 */
import { defineTool } from '@oxydra/tools';
import { z } from 'zod';
import type { MemoryToolDeps } from './deps.js';

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

export function scratchpadTools(deps: MemoryToolDeps) {
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
    parameters: z.object({}),
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
    parameters: z.object({
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
    parameters: z.object({}),
    safety: 'side_effecting',
    onRequest: true,
    async execute(_args, context) {
      await write(sessionOf(context), []);
      return 'Scratchpad cleared.';
    },
  });

  return [scratchpadRead, scratchpadWrite, scratchpadClear];
}

/**
 * `oxydra memory search|add|list|delete|reindex`: the notes agents keep across sessions, and
 * the search index over notes and conversations.
 */

import type { WorkspaceMemory } from '@oxydra/kernel/workspace';
import { shortSessionId, UsageError } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { openMemoryWithRetrieval } from '../run/memory-command.js';
import { printLines } from '../run/print.js';

function tagList(raw: string | undefined): string[] | undefined {
  return raw
    ?.split(',')
    .map((tag) => tag.trim())
    .filter(Boolean);
}

async function withMemory<T>(use: (memory: WorkspaceMemory) => Promise<T>): Promise<T> {
  const memory = await openMemoryWithRetrieval();
  try {
    return await use(memory);
  } finally {
    await memory.close();
  }
}

export async function runMemorySearch(
  words: string[],
  options: { topK?: string; tags?: string; notesOnly?: boolean; json?: boolean },
): Promise<number> {
  const query = words.join(' ').trim();
  if (query === '') throw new UsageError('missing query: oxydra memory search "what to look for"');
  const topK = Number(options.topK ?? 8);
  if (!Number.isInteger(topK) || topK < 1 || topK > 100)
    throw new UsageError('--top-k: a whole number from 1 to 100');
  return withMemory(async (memory) => {
    const tags = tagList(options.tags);
    const hits = await memory.retriever.search({
      query,
      topK,
      ...(tags ? { tags } : {}),
      includeConversation: !options.notesOnly,
    });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(hits, null, 2)}\n`);
    } else if (hits.length === 0) {
      process.stdout.write('no matches\n');
    } else {
      for (const [i, hit] of hits.entries()) {
        const where = hit.noteId ?? `session ${hit.sessionId ? shortSessionId(hit.sessionId) : '?'}`;
        // Notes and conversations hold a model's and other people's text; tags are the model's.
        printLines(
          `${i + 1}. ${hit.score.toFixed(3)}  ${where}${hit.tags?.length ? `  [${hit.tags.join(', ')}]` : ''}\n`,
        );
        printLines(`   ${hit.text.replace(/\s+/g, ' ').slice(0, 300)}\n`);
      }
    }
    return EXIT_OK;
  });
}

export async function runMemoryAdd(words: string[], options: { tags?: string }): Promise<number> {
  const content = words.join(' ').trim();
  if (content === '') throw new UsageError('missing note: oxydra memory add "the note"');
  return withMemory(async (memory) => {
    const tags = tagList(options.tags);
    const note = await memory.db.notes.save({ content, ...(tags ? { tags } : {}) });
    process.stdout.write(`saved ${note.id}\n`);
    if ('indexError' in note && note.indexError) {
      process.stderr.write(`warning: the note is saved but not yet searchable: ${String(note.indexError)}\n`);
    }
    return EXIT_OK;
  });
}

export async function runMemoryList(options: {
  tags?: string;
  json?: boolean;
  limit?: string;
}): Promise<number> {
  return withMemory(async (memory) => {
    const tags = tagList(options.tags);
    const notes = await memory.db.notes.list({
      ...(tags ? { tags } : {}),
      limit: Number(options.limit ?? 50),
    });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(notes, null, 2)}\n`);
    } else if (notes.length === 0) {
      process.stdout.write('no notes\n');
    } else {
      for (const note of notes) {
        const tagsText = note.tags.length ? `  [${note.tags.join(', ')}]` : '';
        printLines(
          `${note.id}  ${note.updatedAt.slice(0, 10)}${tagsText}\n   ${note.content.replace(/\s+/g, ' ').slice(0, 200)}\n`,
        );
      }
    }
    return EXIT_OK;
  });
}

export async function runMemoryDelete(id: string): Promise<number> {
  return withMemory(async (memory) => {
    if (!(await memory.db.notes.get(id))) {
      throw new UsageError(`no note ${id}`, { hint: 'list them with `oxydra memory list`' });
    }
    await memory.db.notes.delete(id);
    process.stdout.write(`deleted ${id}\n`);
    return EXIT_OK;
  });
}

/** Re-embeds every chunk whose vector came from another embedding model, with a progress bar. */
export async function runMemoryReindex(): Promise<number> {
  return withMemory(async (memory) => {
    const stats = await memory.retriever.stats();
    if (stats.stale === 0) {
      process.stdout.write(`nothing to do: all ${stats.chunks} chunks are embedded with ${stats.modelId}\n`);
      return EXIT_OK;
    }
    const tty = Boolean(process.stderr.isTTY);
    const { reembedded } = await memory.retriever.reindex({
      onProgress: ({ done, total }) => {
        const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
        const width = 30;
        const bar = '#'.repeat(Math.round((percent / 100) * width)).padEnd(width, '.');
        const line = `re-embedding with ${stats.modelId} [${bar}] ${done}/${total} (${percent}%)`;
        process.stderr.write(tty ? `\r${line}` : `${line}\n`);
      },
    });
    if (tty) process.stderr.write('\n');
    process.stdout.write(`re-embedded ${reembedded} chunks with ${stats.modelId}\n`);
    return EXIT_OK;
  });
}

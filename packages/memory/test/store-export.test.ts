import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  exportSessionJsonl,
  exportSessionMarkdown,
  type MemoryDatabase,
  SessionNotFoundError,
} from '../src/index.js';
import { everyKindOfMessage, tempMemory } from './store-helpers.js';

let memory: MemoryDatabase;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ memory, cleanup } = await tempMemory());
});
afterEach(() => cleanup());

async function sampleSession() {
  const session = await memory.sessions.create({ id: 'exp-1', userId: 'alice', agent: 'default' });
  const messages = everyKindOfMessage();
  await memory.sessions.appendTurn(session.id, messages.slice(0, 3));
  await memory.sessions.appendTurn(session.id, messages.slice(3));
  return session.id;
}

describe('exportSessionJsonl', () => {
  it('writes a header line, then one line per message with seq, turn, role, time and the stored message', async () => {
    const id = await sampleSession();
    const session = (await memory.sessions.get(id))!;
    const events = await memory.sessions.loadEvents(id);
    const text = await exportSessionJsonl(memory.sessions, id);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(1 + 7);
    expect(lines[0]).toBe(
      `{"type":"session","format":"oxydra.session","version":1,"id":"exp-1","title":"Read notes.txt, please.",` +
        `"user_id":"alice","agent":"default","parent_session_id":null,"created_at":"${session.createdAt}",` +
        `"updated_at":"${session.updatedAt}","message_count":7}`,
    );
    const t1 = events[0]!.createdAt;
    const t2 = events[3]!.createdAt;
    expect(lines[1]).toBe(
      `{"type":"message","seq":1,"turn":1,"role":"system","created_at":"${t1}","message":{"role":"system","content":"You are a careful agent."}}`,
    );
    expect(lines[3]).toBe(
      `{"type":"message","seq":3,"turn":1,"role":"user","created_at":"${t1}","message":{"role":"user","content":[` +
        `{"type":"text","text":"And look at this:"},` +
        `{"type":"attachment","mimeType":"image/png","name":"shot.png","data":"","omittedBytes":3000},` +
        `{"type":"attachment","mimeType":"application/pdf","data":"","omittedBytes":8}]}}`,
    );
    expect(lines[6]).toBe(
      `{"type":"message","seq":6,"turn":2,"role":"tool","created_at":"${t2}","message":` +
        `{"role":"tool","toolCallId":"call_2","toolName":"file_list","content":"permission denied","isError":true}}`,
    );
    // Every line parses, and the messages are exactly what loadMessages returns.
    const parsed = lines.map((line) => JSON.parse(line) as { message?: unknown });
    expect(parsed.slice(1).map((line) => line.message)).toEqual(await memory.sessions.loadMessages(id));
  });

  it('fails clearly for a missing session', async () => {
    await expect(exportSessionJsonl(memory.sessions, 'ghost')).rejects.toBeInstanceOf(SessionNotFoundError);
    await expect(exportSessionMarkdown(memory.sessions, 'ghost')).rejects.toBeInstanceOf(
      SessionNotFoundError,
    );
  });
});

describe('exportSessionMarkdown', () => {
  it('renders a readable transcript with sections, fenced tool calls and results', async () => {
    const id = await sampleSession();
    const session = (await memory.sessions.get(id))!;
    const markdown = await exportSessionMarkdown(memory.sessions, id);
    const expected = [
      '# Read notes.txt, please.',
      '',
      '- Session: `exp-1`',
      `- Created: ${session.createdAt}`,
      `- Updated: ${session.updatedAt}`,
      '- User: alice',
      '- Agent: default',
      '- Messages: 7',
      '',
      '## System',
      '',
      'You are a careful agent.',
      '',
      '## User',
      '',
      'Read notes.txt, please.',
      '',
      '## User',
      '',
      'And look at this:',
      '',
      '[attachment shot.png: image/png, 2.9 KB, not kept]',
      '',
      '[attachment: application/pdf, 8 B, not kept]',
      '',
      '## Assistant',
      '',
      '> **Reasoning**',
      '>',
      '> The user wants the file.',
      '',
      'Reading it.',
      '',
      '**Tool call** `file_read` (id `call_1`)',
      '',
      '```json',
      '{',
      '  "path": "notes.txt"',
      '}',
      '```',
      '',
      '**Tool call** `file_list` (id `call_2`)',
      '',
      '```json',
      '{}',
      '```',
      '',
      '### Tool result: `file_read` (id `call_1`)',
      '',
      '```text',
      'line 1',
      'line 2',
      '```',
      '',
      '### Tool error: `file_list` (id `call_2`)',
      '',
      '```text',
      'permission denied',
      '```',
      '',
      '## Assistant',
      '',
      'The file has two lines. ü 🎉',
      '',
    ].join('\n');
    expect(markdown).toBe(expected);
  });

  it('cuts long tool results with a note, and fences text that contains fences', async () => {
    const { id } = await memory.sessions.create();
    await memory.sessions.appendTurn(id, [
      { role: 'user', content: 'go' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'c1', name: 'file_read', arguments: { path: 'big' } }],
      },
      { role: 'tool', toolCallId: 'c1', toolName: 'file_read', content: 'y'.repeat(5000) },
      { role: 'tool', toolCallId: 'c2', toolName: 'file_read', content: 'before\n```\nafter\n````' },
    ]);
    const markdown = await exportSessionMarkdown(memory.sessions, id, { maxResultChars: 100 });
    expect(markdown).toContain(
      `\`\`\`text\n${'y'.repeat(100)}\n… [truncated: showing 100 of 5000 characters]\n\`\`\``,
    );
    expect(markdown).not.toContain('y'.repeat(101));
    expect(markdown).toContain('`````text\nbefore\n```\nafter\n````\n`````');
    expect(markdown.startsWith('# go\n')).toBe(true);
    // The default keeps 4000 characters.
    const full = await exportSessionMarkdown(memory.sessions, id);
    expect(full).toContain('showing 4000 of 5000 characters');
  });

  it('titles an untitled session, and leaves out details it does not have', async () => {
    const { id } = await memory.sessions.create();
    await memory.sessions.appendTurn(id, [{ role: 'assistant', content: 'unprompted' }]);
    const markdown = await exportSessionMarkdown(memory.sessions, id);
    expect(markdown.split('\n')[0]).toBe('# Untitled session');
    expect(markdown).not.toContain('- User:');
    expect(markdown).not.toContain('- Agent:');
  });
});

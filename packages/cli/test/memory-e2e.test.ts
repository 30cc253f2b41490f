/**
 * Memory end to end through the real binary: every run a durable session, --session
 * continuation, recall of notes, the memory tools, rolling summarization, the sessions and
 * memory commands, and a run killed with SIGKILL leaving a session that resumes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import type { RunEndEvent, StreamEvent } from '@oxydra/types';
import Database from 'libsql';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS, E2E_KEY } from './agent-env.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

function outcome(events: StreamEvent[]): RunEndEvent {
  const last = events.at(-1);
  if (!last || (last.type !== 'run_completed' && last.type !== 'run_failed'))
    throw new Error('no outcome line');
  return last;
}

const chat = E2E_APIS[0]!;

describe('sessions', () => {
  it('makes every run a session and continues one with --session, sending the earlier turns', async () => {
    env = await AgentEnv.start(chat, [
      { match: { lastMessageContains: 'My name is Ada' }, reply: { text: 'Nice to meet you, Ada.' } },
      { match: { lastMessageContains: 'What is my name' }, reply: { text: 'You are Ada.' } },
    ]);
    const first = await env.run(['run', '--json', '--session', 'ada-1', 'My name is Ada']);
    expect(first.status).toBe(0);
    expect(outcome(first.events).sessionId).toBe('ada-1');
    const second = await env.run(['run', '--json', '--session', 'ada-1', 'What is my name?']);
    expect(second.status).toBe(0);
    // The second request carries the first exchange, restored from the database.
    expect(env.requestText(1)).toContain('My name is Ada');
    expect(env.requestText(1)).toContain('Nice to meet you, Ada.');

    const list = JSON.parse((await env.run(['sessions', 'list', '--json'])).stdout) as {
      id: string;
      messageCount: number;
    }[];
    expect(list.find((s) => s.id === 'ada-1')?.messageCount).toBe(4);
  });

  it('shows, exports and deletes a session by its short id, full id or a unique prefix', async () => {
    env = await AgentEnv.start(chat, [{ reply: { text: 'Stored answer.' }, times: 'always' }]);
    const run = await env.run(['run', '--json', 'Remember this exchange']);
    const id = outcome(run.events).sessionId!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const listed = (await env.run(['sessions', 'list'])).stdout;
    expect(listed).toMatch(new RegExp(`^${id.slice(-8)}  `));
    expect((await env.run(['sessions', 'show', id.slice(0, 8)])).stdout).toContain('Stored answer.');
    const show = await env.run(['sessions', 'show', id.slice(-8)]);
    expect(show.status).toBe(0);
    expect(show.stdout).toContain('Remember this exchange');
    expect(show.stdout).toContain('Stored answer.');
    const jsonl = (await env.run(['sessions', 'export', id, '--format', 'jsonl'])).stdout.trim().split('\n');
    expect(jsonl.length).toBe(3); // header + user + assistant
    expect(JSON.parse(jsonl[2]!).message).toMatchObject({ role: 'assistant', content: 'Stored answer.' });

    expect((await env.run(['memory', 'search', 'Remember this exchange'])).stdout).toContain(
      `session ${id.slice(-8)}`,
    );
    expect((await env.run(['sessions', 'delete', id])).status).toBe(0);
    // Its conversation is gone from the search index too.
    expect((await env.run(['memory', 'search', 'Remember this exchange'])).stdout).toBe('no matches\n');
    const missing = await env.run(['sessions', 'show', id]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`no session "${id}"`);
  });

  it('lists sessions by name: the default session as such, a title as one clean line', async () => {
    env = await AgentEnv.start(chat, [{ reply: { text: 'Noted.' }, times: 'always' }]);
    // A gateway user's default session (runtime-<user>), here started from the CLI.
    expect((await env.run(['run', '--json', '--session', 'runtime-ada', 'first words'])).status).toBe(0);
    const titled = outcome((await env.run(['run', '--json', 'plan the trip'])).events).sessionId!;
    // A title stored with escape sequences (by an older version, or another writer of the file)
    // still prints as plain text: nothing reaches the terminal as a command.
    const db = new Database(join(env.workspace, '.oxydra', 'memory.db'));
    db.prepare('UPDATE sessions SET title = ? WHERE id = ?').run(
      '\u001b]0;pwned\u0007old\ntitle\u001b[2J',
      titled,
    );
    db.close();

    const listed = (await env.run(['sessions', 'list'])).stdout;
    expect(listed).toMatch(/^runtime-ada +\S+ \S+ +\d+ msgs {2}Default session$/m);
    expect(listed).toMatch(new RegExp(`^${titled.slice(-8)} .* msgs {2}old title$`, 'm'));
    expect(listed.replaceAll('\n', ' ')).not.toMatch(/\p{Cc}/u);
    const json = JSON.parse((await env.run(['sessions', 'list', '--json'])).stdout) as {
      id: string;
      name: string;
    }[];
    expect(json.map((s) => [s.id, s.name])).toEqual([
      [titled, 'old title'],
      ['runtime-ada', 'Default session'],
    ]);
  });

  it('lists distinct short ids, continues a session by its short id, and refuses an ambiguous one listing the candidates', async () => {
    env = await AgentEnv.start(chat, [
      { match: { lastMessageContains: 'The code word is TULIP' }, reply: { text: 'Noted.' } },
      { match: { lastMessageContains: 'Another session' }, reply: { text: 'Second.' }, times: 'always' },
      { match: { lastMessageContains: 'What is the code word' }, reply: { text: 'TULIP.' } },
    ]);
    const first = outcome((await env.run(['run', '--json', 'The code word is TULIP'])).events).sessionId!;
    const second = outcome((await env.run(['run', '--json', 'Another session'])).events).sessionId!;
    // Started a moment apart, the UUIDs share their leading characters; the short ids differ.
    const lines = (await env.run(['sessions', 'list'])).stdout.trim().split('\n');
    const shown = lines.map((line) => line.split(/\s+/)[0]);
    expect(shown).toEqual([second.slice(-8), first.slice(-8)]);

    const resumed = await env.run(['run', '--json', '--session', first.slice(-8), 'What is the code word?']);
    expect(resumed.status).toBe(0);
    expect(outcome(resumed.events).sessionId).toBe(first);
    expect(env.requestText(2)).toContain('The code word is TULIP');

    // Two sessions whose ids start alike: the shared start names neither.
    expect((await env.run(['run', '--json', '--session', 'proj-alpha', 'Another session'])).status).toBe(0);
    expect((await env.run(['run', '--json', '--session', 'proj-beta', 'Another session'])).status).toBe(0);
    for (const args of [
      ['sessions', 'show', 'proj'],
      ['run', '--session', 'proj', 'Another session'],
    ]) {
      const ambiguous = await env.run(args);
      expect(ambiguous.status).toBe(2);
      expect(ambiguous.stderr.trim().split('\n')).toHaveLength(1);
      expect(ambiguous.stderr).toMatch(
        /matches 2 sessions \((proj-beta, proj-alpha|proj-alpha, proj-beta)\); type one of these short ids/,
      );
    }
  });

  it('never stores a configured key, even one pasted into a prompt', async () => {
    env = await AgentEnv.start(chat, [{ reply: { text: 'I will not repeat it.' }, times: 'always' }]);
    const run = await env.run(['run', '--json', `here is my key ${E2E_KEY} keep it safe`]);
    const id = outcome(run.events).sessionId!;
    const exported = (await env.run(['sessions', 'export', id])).stdout;
    expect(exported).toContain('here is my key [REDACTED] keep it safe');
    expect(exported).not.toContain(E2E_KEY);
    for (const file of ['memory.db', 'memory.db-wal']) {
      const path = join(env.workspace, '.oxydra', file);
      if (existsSync(path)) expect(readFileSync(path).includes(E2E_KEY)).toBe(false);
    }
  });

  it('refuses --session when memory is disabled', async () => {
    env = await AgentEnv.start(chat, []);
    env.sandbox.write('.oxydra/providers.toml', '[memory]\nenabled = false\n');
    const result = await env.run(['run', '--session', 'x', 'hello']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--session needs memory');
  });

  it('leaves a consistent database after SIGKILL mid-turn, and the session resumes', async () => {
    const marker = `${2000 + Math.floor(Math.random() * 7000)}.${process.pid}`;
    env = await AgentEnv.start(chat, [
      {
        match: { lastMessageContains: 'start the long job' },
        reply: { toolCalls: [{ name: 'shell_exec', arguments: { command: `sleep ${marker}` } }] },
      },
      { match: { lastMessageContains: 'are you there' }, reply: { text: 'Yes, resumed.' } },
    ]);
    await env.run(['run', '--json', '--session', 'killed', 'start the long job'], async (child, output) => {
      await pollUntil(
        () =>
          output().includes('"tool_execution_start"') &&
          spawnSync('pgrep', ['-f', `^sleep ${marker}`]).status === 0,
        'the command to start',
        { timeoutMs: 20_000 },
      );
      child.kill('SIGKILL');
    });
    // SIGKILL leaves no chance to stop the command: end it here so it does not outlive the test.
    spawnSync('pkill', ['-f', `sleep ${marker}`]);
    const resumed = await env.run(['run', '--json', '--session', 'killed', 'are you there?']);
    expect(resumed.status).toBe(0);
    expect(outcome(resumed.events).text).toBe('Yes, resumed.');
    // The prompt committed before the kill is history now; the half-done turn is not.
    expect(env.requestText(1)).toContain('start the long job');
    const exported = (await env.run(['sessions', 'export', 'killed'])).stdout.trim().split('\n');
    expect(exported.map((line) => JSON.parse(line).message?.role ?? 'header')).toEqual([
      'header',
      'user',
      'user',
      'assistant',
    ]);
  });
});

describe('memory', () => {
  it('recalls a saved note in a later run, and the agent saves notes with memory_save', async () => {
    env = await AgentEnv.start(chat, [
      { match: { lastMessageContains: 'staging server' }, reply: { text: 'It is bluefin.' } },
      {
        match: { lastMessageContains: 'remember that' },
        reply: {
          toolCalls: [
            {
              name: 'memory_save',
              arguments: { content: 'The release train leaves on Thursdays', tags: ['process'] },
            },
          ],
        },
      },
      { match: { lastToolResultContains: 'Saved note' }, reply: { text: 'Noted.' } },
    ]);
    const added = await env.run(['memory', 'add', '--tags', 'infra', 'The staging server is called bluefin']);
    expect(added.status).toBe(0);
    expect(added.stdout).toMatch(/^saved note-[0-9a-f-]{36}$/m);

    const recall = await env.run(['run', '--json', 'Which staging server do we use?']);
    expect(recall.status).toBe(0);
    expect(env.requestText(0)).toContain('Relevant context from memory');
    expect(env.requestText(0)).toContain('bluefin');

    const save = await env.run(['run', '--json', 'Please remember that releases go out on Thursdays']);
    expect(save.status).toBe(0);
    const notes = JSON.parse((await env.run(['memory', 'list', '--json'])).stdout) as {
      content: string;
      tags: string[];
    }[];
    expect(notes.map((n) => n.content)).toContain('The release train leaves on Thursdays');

    const search = await env.run(['memory', 'search', '--notes-only', 'when do releases happen']);
    expect(search.stdout.split('\n')[1]).toContain('release train leaves on Thursdays');
  });

  it('deletes notes and reports unknown ids clearly', async () => {
    env = await AgentEnv.start(chat, []);
    const added = await env.run(['memory', 'add', 'a note to delete']);
    const id = /note-[0-9a-f-]{36}/.exec(added.stdout)![0];
    expect((await env.run(['memory', 'delete', id])).status).toBe(0);
    const again = await env.run(['memory', 'delete', id]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain(`no note ${id}`);
    expect((await env.run(['memory', 'list'])).stdout).toBe('no notes\n');
  });

  it('re-embeds the index with a progress bar after the embedding backend changes', async () => {
    env = await AgentEnv.start(chat, []);
    for (const note of ['alpha release notes', 'beta rollout plan', 'gamma incident review']) {
      expect((await env.run(['memory', 'add', note])).status).toBe(0);
    }
    // Embed through the mock provider's /v1/embeddings from now on.
    env.sandbox.write(
      '.oxydra/providers.toml',
      '[memory]\nembedding_backend = "openai"\nembedding_provider = "mock"\n',
    );
    const reindex = await env.run(['memory', 'reindex']);
    expect(reindex.status).toBe(0);
    expect(reindex.stdout).toBe('re-embedded 3 chunks with openai:text-embedding-3-small\n');
    expect(reindex.stderr).toMatch(/\[#+\] 3\/3 \(100%\)/);
    expect(env.mock.requests.some((r) => r.path === '/v1/embeddings')).toBe(true);
    expect((await env.run(['memory', 'reindex'])).stdout).toMatch(
      /^nothing to do: all 3 chunks are embedded with openai:/,
    );
    expect((await env.run(['memory', 'search', '--notes-only', 'rollout'])).stdout).toContain(
      'beta rollout plan',
    );
  });

  it('summarises long sessions and still answers from facts in the summarised turns', async () => {
    env = await AgentEnv.start(
      chat,
      [
        {
          match: { lastMessageContains: 'Conversation to fold into the summary' },
          reply: { text: 'Summary: the project codename is FALCON-7.' },
          times: 'always',
        },
        {
          match: { lastMessageContains: 'what is the codename' },
          reply: { text: 'The codename is FALCON-7.' },
        },
        { reply: { text: 'Acknowledged.' }, times: 'always' },
      ],
      // A tiny window so a few turns pass the trigger ratio.
      '\n[runtime.context_budget]\ntrigger_ratio = 0.5\nsafety_buffer_tokens = 0\n[runtime.summarization]\nmin_turns = 2\n',
    );
    env.sandbox.write(
      '.oxydra/providers.toml',
      '[providers.registry.mock]\nmax_context_tokens = 3000\nmax_output_tokens = 200\n',
    );
    const filler = 'Background detail for the record. '.repeat(20);
    await env.run(['run', '--json', '--session', 'long', `The project codename is FALCON-7. ${filler}`]);
    // A second turn: with min_turns = 2 the next run folds the first (deterministic: token counts).
    // Without it nothing is summarised and the checks below fail.
    await env.run(['run', '--json', '--session', 'long', `A note: ${filler}`]);
    const last = await env.run(['run', '--json', '--session', 'long', 'what is the codename?']);
    expect(last.status).toBe(0);
    expect(outcome(last.events).text).toBe('The codename is FALCON-7.');
    const final = env.mock.requests.at(-1)!.raw;
    expect(final).toContain('Rolling session summary');
    expect(final).toContain('Summary: the project codename is FALCON-7.');
    // The summarised turn itself is no longer sent; the history still holds it.
    expect(final).not.toContain('The project codename is FALCON-7. Background');
    const stored = (await env.run(['sessions', 'show', 'long'])).stdout;
    expect(stored).toContain('The project codename is FALCON-7. Background');
  });
});

/**
 * A session created for a run has nothing stored under it: its first audit head copy is written
 * without reading one first, and the rolling summary's load reads nothing until the run saves a
 * summary. Another writer's head copy made meanwhile still wins (compare-and-set), and is read.
 */

import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterEach, describe, expect, it } from 'vitest';
import { openWorkspaceMemory, sessionHooks, type WorkspaceMemory } from '../src/assemble/memory.js';
import { KernelAudit, SESSION_HEAD_KEY } from '../src/services/audit/audit-log.js';
import { scratchKernelDbs } from './kernel-db-scratch.js';

const config = agentConfigSchema.parse({
  selection: { provider: 'mock', model: 'm' },
  providers: { registry: { mock: { provider_type: 'openai', base_url: 'http://127.0.0.1:9/v1' } } },
});
const scratch = scratchKernelDbs('oxydra-session-created-');
const opened: { memory: WorkspaceMemory; folder: TempWorkspace }[] = [];

afterEach(async () => {
  for (const { memory, folder } of opened.splice(0)) {
    await memory.close();
    folder.cleanup();
  }
});

/** A workspace's memory whose sessions store counts its state reads, by key. */
async function countingMemory(): Promise<{ memory: WorkspaceMemory; reads: string[]; workspace: string }> {
  const folder = tempWorkspace({ prefix: 'oxydra-session-created-' });
  const workspace = folder.dir;
  const memory = await openWorkspaceMemory(config, workspace, {});
  opened.push({ memory, folder });
  const reads: string[] = [];
  const getState = memory.db.sessions.getState.bind(memory.db.sessions);
  memory.db.sessions.getState = (sessionId, key) => {
    reads.push(key);
    return getState(sessionId, key);
  };
  return { memory, reads, workspace };
}

describe('a session created for the run', () => {
  it('gets its first audit head copy without a read; a copy written meanwhile is read and replaced', async () => {
    const { memory, reads } = await countingMemory();
    const dir = scratch.folder();
    const audit = await KernelAudit.open(dir, await scratch.open(dir), { maxEntries: 1000 });
    const sessions = memory.db.sessions;

    const fresh = await sessions.create({});
    audit.sessionCreated(fresh.id);
    audit.record('agent:a', 'agent_spawn', {}, '', { grouped: true });
    const head = await audit.anchor(sessions, fresh.id);
    expect(reads).toEqual([]);
    expect(JSON.parse((await sessions.getState(fresh.id, SESSION_HEAD_KEY))?.value ?? '{}')).toMatchObject({
      seq: head?.seq,
    });

    // Told "created" wrongly (another writer stored a copy first): the write loses, reads, retries.
    const other = await sessions.create({});
    await sessions.setState(other.id, SESSION_HEAD_KEY, JSON.stringify({ seq: 0, hash: 'x' }), null);
    reads.length = 0;
    audit.sessionCreated(other.id);
    await audit.anchor(sessions, other.id);
    expect(reads).toEqual([SESSION_HEAD_KEY]);
    expect((await sessions.getState(other.id, SESSION_HEAD_KEY))?.epoch).toBe(2);

    // Not told: the first anchor reads the epoch.
    const named = await sessions.create({});
    reads.length = 0;
    await audit.anchor(sessions, named.id);
    expect(reads).toEqual([SESSION_HEAD_KEY]);
  });

  it('loads no summary until the run saves one, then reads it back', async () => {
    const { memory, reads } = await countingMemory();
    const session = await memory.db.sessions.create({});
    const store = (created: boolean) =>
      sessionHooks(memory, {
        sessionId: session.id,
        ...(created ? { created } : {}),
        config,
        warn: () => {},
        secrets: [],
      }).summarization!.store!;
    const created = store(true);
    expect(await created.load()).toBeUndefined();
    expect(reads).toEqual([]);
    expect(await created.save({ text: 'so far', covered: 2 }, null)).toBe(true);
    expect(await created.load()).toMatchObject({ text: 'so far', covered: 2, epoch: 1 });
    expect(reads).toHaveLength(1);
    // The next run of the same session (not created for it) reads as before.
    expect(await store(false).load()).toMatchObject({ text: 'so far' });
    expect(reads).toHaveLength(2);
  });

  it('indexes the turns of the run that created the session with one set of its texts, a later run without', async () => {
    const { memory } = await countingMemory();
    const sets: (Set<string> | undefined)[] = [];
    const index = memory.retriever.indexConversation.bind(memory.retriever);
    memory.retriever.indexConversation = (input) => {
      sets.push(input.indexed);
      return index(input);
    };
    const hooks = (sessionId: string, created: boolean) =>
      sessionHooks(memory, {
        sessionId,
        ...(created ? { created } : {}),
        config,
        warn: () => {},
        secrets: [],
      });
    const created = await memory.db.sessions.create({});
    const run = hooks(created.id, true);
    await run.persist!([{ role: 'user', content: 'Read notes.txt' }]);
    await run.persist!([{ role: 'assistant', content: 'The file has two lines.' }]);
    const continued = hooks(created.id, false);
    await continued.persist!([{ role: 'user', content: 'And the third?' }]);
    // Handed to indexing right after each append commits: the creating run's two, then the next run's.
    expect(sets).toHaveLength(3);
    expect(sets[0]).toBeInstanceOf(Set);
    expect(sets[1]).toBe(sets[0]);
    expect(sets[2]).toBeUndefined();
    await memory.retriever.stats(); // waits for the queued indexing
    expect([...sets[0]!]).toHaveLength(2);
  });
});

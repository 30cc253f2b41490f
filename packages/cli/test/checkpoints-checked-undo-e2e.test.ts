/**
 * `oxydra undo --run` and an object file a `git pull` put into the checkpoint store, through the
 * real binary and real git. The author knows the sha of git's tree of a folder the repository
 * ships (`docs/` holding the agent's `notes.md`) and commits an object file under that name that
 * names the user's later edit instead. Before, undo's check for edits made since the run read
 * that tree ("no edit"), and put the run's "before" over the user's edit without a word. Now
 * the tree must hash to its name, and undo stops with a usage error naming the object file.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

let env: AgentEnv;

beforeAll(async () => {
  env = await AgentEnv.start(E2E_APIS[0]!, [
    {
      reply: {
        toolCalls: [{ name: 'file_write', arguments: { path: 'docs/notes.md', content: 'agent\n' } }],
      },
    },
    { reply: { text: 'first done' } },
    { reply: { toolCalls: [{ name: 'file_write', arguments: { path: 'other.md', content: 'later\n' } }] } },
    { reply: { text: 'done' }, times: 'always' },
  ]);
}, 60_000);
afterAll(() => env.close());

const sha = (type: string, body: Buffer): string =>
  createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest('hex');
const docsTree = (notes: string): Buffer =>
  Buffer.concat([Buffer.from('100644 notes.md\0'), Buffer.from(sha('blob', Buffer.from(notes)), 'hex')]);

describe('undo over a planted tree', () => {
  it("refuses, naming the object file, and keeps the user's edit", async () => {
    const workspace = env.workspace;
    const notes = join(workspace, 'docs', 'notes.md');
    mkdirSync(dirname(notes));
    writeFileSync(notes, 'mine\n');
    expect((await env.run(['run', 'write notes'])).status).toBe(0);
    expect((await env.run(['run', 'write other'])).status).toBe(0);
    const list = await env.run(['checkpoints', 'list']);
    const runs = [...list.stdout.matchAll(/^(r-[0-9a-f]+) /gm)].map((match) => match[1]!);
    expect(runs).toHaveLength(2);
    writeFileSync(notes, 'user\n');
    // As git checkout writes a tracked file over an ignored one: replaced, 0644.
    const name = sha('tree', docsTree('agent\n'));
    const file = join(workspace, '.oxydra', 'checkpoints.git', 'objects', name.slice(0, 2), name.slice(2));
    rmSync(file, { force: true });
    const body = docsTree('user\n');
    writeFileSync(file, deflateSync(Buffer.concat([Buffer.from(`tree ${body.length}\0`), body])), {
      mode: 0o644,
    });

    // The older run (the newer one's checkpoint is remembered, not read).
    const undo = await env.run(['undo', '--run', runs[1]!]);
    expect(undo.status, undo.stdout).toBe(2);
    expect(undo.stderr).toContain(`${file} whose content does not hash to its name`);
    expect(undo.stderr).not.toMatch(/bug in Oxydra|\n\s+at /);
    expect(readFileSync(notes, 'utf8')).toBe('user\n');
  });
});

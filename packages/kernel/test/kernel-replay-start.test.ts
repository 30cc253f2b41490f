/**
 * replaySession starts from the session's "before" checkpoint: each run's before names its
 * session and where in it the run was; a replay right after a run that created and edited files
 * is identical (in the workspace as it is now the file exists already: "Replaced", not
 * "Created"); a later run whose files something outside the session changed is a note; symlinks
 * in the checkpoint stay symlinks and nothing outside the copy is written; a session without a
 * checkpoint falls back to the files as they are now, said in a note; as root, what the start
 * put back belongs to the workspace's owner.
 */
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ScenarioStep } from '@oxydra/testkit';
import { tempWorkspace } from '@oxydra/testkit/helpers';
import type { AgentConfigInput } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { type ReplayOptions, replaySession } from '../src/replay/index.js';
import { closeAll, type TestKernel, testKernel } from './helpers.js';

const outside: string[] = [];
afterEach(async () => {
  await closeAll();
  for (const dir of outside.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const call = (index: number, name: string, args: Record<string, unknown>): ScenarioStep => ({
  match: { callIndex: index },
  reply: { toolCalls: [{ name, arguments: args }] },
});
const answer = (index: number, text: string): ScenarioStep => ({
  match: { callIndex: index },
  reply: { text },
});

/** One turn: create notes.md, edit it, edit plan.md (which was there before). */
const WRITE_THEN_EDIT: ScenarioStep[] = [
  call(0, 'file_write', { path: 'notes.md', content: 'draft\n' }),
  call(1, 'file_edit', { path: 'notes.md', old_text: 'draft', new_text: 'final' }),
  call(2, 'file_edit', { path: 'plan.md', old_text: 'step one', new_text: 'step two' }),
  answer(3, 'notes.md is final, plan.md at step two.'),
];

/** Replays as a later command would: the recording kernel closed first (its memory writes settled). */
async function replay(test: TestKernel, options: Omit<ReplayOptions, 'workspace' | 'config'>) {
  await test.kernel.close();
  return replaySession({ workspace: test.workspace, config: test.kernel.config, warn: () => {}, ...options });
}

async function recordedSession(
  steps: ScenarioStep[],
  config: AgentConfigInput = {},
  files: Record<string, string> = {},
) {
  const test = await testKernel(steps, config);
  for (const [path, content] of Object.entries({ 'plan.md': 'step one\n', ...files })) {
    writeFileSync(join(test.workspace, path), content);
  }
  const result = await test.kernel.agents.spawn({ prompt: 'write the notes, then edit the plan' }).result;
  expect(result.status).toBe('completed');
  return { test, sessionId: result.sessionId! };
}

describe('replaySession from the session start', () => {
  it("names the session in the run's before checkpoint, and replays right after the run identically", async () => {
    const { test, sessionId } = await recordedSession(WRITE_THEN_EDIT);
    const [run] = await (await test.kernel.service('checkpoints'))!.runs();
    expect(run).toMatchObject({ kind: 'run', session: sessionId, sessionSeq: 1 });
    expect(run!.before.meta).toMatchObject({ session: sessionId, 'session-seq': '1' });

    const report = await replay(test, {
      session: sessionId,
    });
    expect(report.divergences).toEqual([]);
    expect(report.identical).toBe(true);
    expect(report.start).toEqual({ from: 'checkpoint', checkpoint: run!.before.id, run: run!.run, turn: 1 });
    expect(report.notes).toEqual([]);
    expect(report.turns[0]!.replayed.calls[0]!.result).toMatch(/^Created notes\.md/);
    // The workspace is as the run left it; the copy is gone.
    expect(readFileSync(join(test.workspace, 'notes.md'), 'utf8')).toBe('final\n');
    expect(readFileSync(join(test.workspace, 'plan.md'), 'utf8')).toBe('step two\n');
    expect(existsSync(report.workspace)).toBe(false);
  });

  it('replays on the files as they are now with from: now (and in place), where the run diverges', async () => {
    const { test, sessionId } = await recordedSession(WRITE_THEN_EDIT);
    const report = await replay(test, {
      session: sessionId,
      from: 'now',
    });
    expect(report.start).toEqual({ from: 'now', why: 'asked for (--from now)' });
    expect(report.identical).toBe(false);
    expect(report.divergences[0]).toMatchObject({ turn: 1, call: 1, kind: 'tool_result' });
    expect(report.divergences[0]!.message).toMatch(/recorded "Created.*", replayed "Replaced/);
    await expect(
      replay(test, {
        session: sessionId,
        inPlace: true,
        from: 'start',
      }),
    ).rejects.toThrow(/--in-place replays on the workspace's files as they are now/);
  });

  it('goes on from its own files across runs, and notes what changed outside the session in between', async () => {
    const test = await testKernel([
      call(0, 'file_write', { path: 'a.txt', content: 'one\n' }),
      answer(1, 'wrote a.txt'),
      call(2, 'file_edit', { path: 'a.txt', old_text: 'one', new_text: 'two' }),
      call(3, 'file_read', { path: 'a.txt' }),
      answer(4, 'a.txt says two'),
    ]);
    const first = await test.kernel.agents.spawn({ prompt: 'write a.txt' }).result;
    expect(first.status).toBe('completed');
    // Between the two runs, someone edits another file.
    writeFileSync(join(test.workspace, 'elsewhere.txt'), 'not the session\n');
    const second = await test.kernel.agents.spawn({ prompt: 'edit a.txt', sessionId: first.sessionId! })
      .result;
    expect(second.status).toBe('completed');
    const runs = await (await test.kernel.service('checkpoints'))!.runs();
    // Turn 1 stored 4 messages; turn 2's prompt is the fifth.
    expect(runs.map((run) => run.sessionSeq)).toEqual([5, 1]);

    const report = await replay(test, {
      session: first.sessionId!,
    });
    expect(report.divergences).toEqual([]);
    expect(report.start).toMatchObject({ from: 'checkpoint', run: runs[1]!.run, turn: 1 });
    expect(report.notes).toEqual([
      'turn 2: 1 path(s) changed outside this session before it ran (elsewhere.txt); the replay went on from the files its previous turns left',
    ]);
  });

  it('keeps symlinks as symlinks, puts back deleted files and writes nothing outside the copy', async () => {
    // Removed with the replays' copies, which this list also holds.
    const away = tempWorkspace({ prefix: 'oxydra-outside-' }).dir;
    outside.push(away);
    writeFileSync(join(away, 'secret.txt'), 'outside\n');
    mkdirSync(join(away, 'dir'));
    writeFileSync(join(away, 'dir', 'inner.txt'), 'outside inner\n');
    const test = await testKernel(
      [
        call(0, 'file_read', { path: 'gone.txt' }),
        call(1, 'file_write', { path: 'dir/inner.txt', content: 'written by the run\n' }),
        answer(2, 'done'),
      ],
      { checkpoints: { max_file_bytes: 1024 } },
    );
    const ws = test.workspace;
    writeFileSync(join(ws, 'gone.txt'), 'read me\n');
    mkdirSync(join(ws, 'dir'));
    writeFileSync(join(ws, 'dir', 'inner.txt'), 'before\n');
    symlinkSync(join(away, 'secret.txt'), join(ws, 'link'));
    writeFileSync(join(ws, 'big.txt'), 'x'.repeat(2048));
    const result = await test.kernel.agents.spawn({ prompt: 'read gone.txt, write dir/inner.txt' }).result;
    expect(result.status).toBe('completed');
    // Afterwards: the file deleted, the folder replaced by a symlink to a folder outside.
    rmSync(join(ws, 'gone.txt'));
    rmSync(join(ws, 'dir'), { recursive: true });
    symlinkSync(join(away, 'dir'), join(ws, 'dir'));

    const report = await replay(test, {
      session: result.sessionId!,
      keep: true,
    });
    outside.push(join(report.workspace, '..'));
    expect(report.divergences).toEqual([]);
    expect(report.start.from).toBe('checkpoint');
    expect(report.notes).toEqual([
      'not in the start checkpoint (too large, or nested repositories), so as they are now: big.txt',
    ]);
    const copy = report.workspace;
    expect(lstatSync(join(copy, 'link')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(copy, 'link'))).toBe(join(away, 'secret.txt'));
    expect(lstatSync(join(copy, 'dir')).isDirectory()).toBe(true);
    expect(readFileSync(join(copy, 'dir', 'inner.txt'), 'utf8')).toBe('written by the run\n');
    expect(readFileSync(join(copy, 'gone.txt'), 'utf8')).toBe('read me\n');
    // The borrowed store is gone from the copy; nothing outside changed.
    expect(existsSync(join(copy, '.oxydra', 'checkpoints.git'))).toBe(false);
    expect(readFileSync(join(away, 'secret.txt'), 'utf8')).toBe('outside\n');
    expect(readFileSync(join(away, 'dir', 'inner.txt'), 'utf8')).toBe('outside inner\n');
  });

  it.skipIf(process.geteuid?.() !== 0)(
    'as root, gives what the start put back to the owner of the workspace (needs root to chown)',
    async () => {
      const { test, sessionId } = await recordedSession(WRITE_THEN_EDIT, {}, { 'untouched.txt': 'x\n' });
      const nobody = 65534;
      chownSync(test.workspace, nobody, nobody);
      // Deleted after the session: the start puts it back (as root), and no replayed tool touches it.
      rmSync(join(test.workspace, 'untouched.txt'));
      const report = await replay(test, { session: sessionId, keep: true });
      outside.push(join(report.workspace, '..'));
      expect(report.identical).toBe(true);
      expect(readFileSync(join(report.workspace, 'untouched.txt'), 'utf8')).toBe('x\n');
      expect(lstatSync(join(report.workspace, 'untouched.txt')).uid).toBe(nobody);
    },
  );

  it('falls back to the files as they are now, with a note, when no checkpoint holds the start', async () => {
    const { test, sessionId } = await recordedSession(WRITE_THEN_EDIT, { checkpoints: { enabled: false } });
    const report = await replay(test, {
      session: sessionId,
    });
    expect(report.start).toEqual({
      from: 'now',
      why: "no checkpoint of this session's start (this workspace has no checkpoints)",
    });
    expect(report.notes[0]).toBe(
      "replayed in the workspace as it is now: no checkpoint of this session's start (this workspace has no checkpoints)",
    );
    // Today's files: notes.md exists already, so the replay's write differs.
    expect(report.identical).toBe(false);
    expect(report.divergences[0]!.message).toMatch(/recorded "Created.*", replayed "Replaced/);
  });
});

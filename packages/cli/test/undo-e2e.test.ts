/**
 * Undo through the real binary: a run that writes, edits and deletes files and runs shell
 * commands that create and delete files and change a mode; `oxydra undo` puts back the exact
 * tree (bytes, modes, directories); undoing the undo brings the run's result back; an undo
 * over a file the user edited since is refused (exit 2) until --force, and restores are audited.
 * `checkpoints diff` shows what a run changed, by the run id `checkpoints list` prints first.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { auditEntries, IS_ROOT, WORKSPACE_OWNER } from './helpers.js';

/** path → type, permission bits and content hash, for everything but .oxydra/. */
function tree(root: string): Record<string, string> {
  const listing: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const rel = relative(root, path);
      if (rel === '.oxydra') continue;
      const stat = lstatSync(path);
      const mode = `${(stat.mode & 0o7777).toString(8)} ${stat.uid}`;
      if (stat.isDirectory()) {
        listing[`${rel}/`] = `dir ${mode}`;
        walk(path);
      } else {
        listing[rel] =
          `file ${mode} ${createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16)}`;
      }
    }
  };
  walk(root);
  return listing;
}

let env: AgentEnv;
let before: Record<string, string>;
let after: Record<string, string>;

beforeAll(async () => {
  env = await AgentEnv.start(E2E_APIS[0]!, [
    {
      reply: {
        toolCalls: [
          { name: 'file_write', arguments: { path: 'notes/new.md', content: 'brand new\n' } },
          { name: 'file_edit', arguments: { path: 'docs/plan.md', old_text: 'draft', new_text: 'final' } },
          { name: 'file_delete', arguments: { path: 'old.txt' } },
        ],
      },
    },
    {
      reply: {
        toolCalls: [
          {
            name: 'shell_exec',
            arguments: {
              command:
                'mkdir -p made/deep && printf x > made/deep/f.bin && rm -f scratch.log && chmod 600 run.sh',
            },
          },
        ],
      },
    },
    { reply: { text: 'done' }, times: 'always' },
  ]);
  const ws = env.workspace;
  env.sandbox.write('docs/plan.md', 'a draft plan\n');
  env.sandbox.write('old.txt', 'old\n');
  env.sandbox.write('scratch.log', 'log\n');
  chmodSync(env.sandbox.write('run.sh', '#!/bin/sh\necho hi\n'), 0o755);
  mkdirSync(join(ws, 'empty-dir'));
  if (IS_ROOT) chownSync(join(ws, 'empty-dir'), WORKSPACE_OWNER.uid, WORKSPACE_OWNER.gid);
  before = tree(ws);
  const run = await env.run(['run', 'change things']);
  expect(run.status).toBe(0);
  after = tree(ws);
}, 60_000);
afterAll(() => env.close());

describe('oxydra undo', () => {
  it('the run changed files through the tools and the shell', () => {
    expect(after['notes/new.md']).toBeDefined();
    expect(after['old.txt']).toBeUndefined();
    expect(after['scratch.log']).toBeUndefined();
    expect(after['made/deep/f.bin']).toBeDefined();
    expect(after['run.sh']).toMatch(/^file 600 \d+ /);
    expect(after['docs/plan.md']).not.toBe(before['docs/plan.md']);
  });

  it('checkpoints diff takes the run id that list prints first and shows the content; --stat the paths', async () => {
    const list = await env.run(['checkpoints', 'list']);
    const [, runId, beforeId] = /^(r-[0-9a-f]{8}) .* before ([0-9a-f]{12})/m.exec(list.stdout)!;
    const diff = await env.run(['checkpoints', 'diff', runId!]);
    expect(diff.stderr).toBe('');
    expect(diff.status).toBe(0);
    expect(diff.stdout).toContain('diff --git a/docs/plan.md b/docs/plan.md');
    expect(diff.stdout).toContain('-a draft plan\n+a final plan\n');
    expect(diff.stdout).toMatch(
      /diff --git a\/notes\/new\.md b\/notes\/new\.md\nnew file mode 100644\n[\s\S]*\+brand new\n/,
    );
    expect(diff.stdout).toMatch(
      /diff --git a\/old\.txt b\/old\.txt\ndeleted file mode 100644\n[\s\S]*-old\n/,
    );
    // 755 -> 600: git shows the lost exec bit; the exact mode is in the closing lines.
    expect(diff.stdout).toContain('old mode 100755\nnew mode 100644');
    expect(diff.stdout).toMatch(/^mode: run\.sh$/m);
    expect(diff.stdout).not.toContain('checkpoint-manifest');

    const stat = await env.run(['checkpoints', 'diff', runId!, '--stat']);
    expect(stat.stdout.split('\n').filter(Boolean).sort()).toEqual(
      [
        'added     made/deep/f.bin',
        'added     notes/new.md',
        'deleted   old.txt',
        'deleted   scratch.log',
        'mode      run.sh',
        'modified  docs/plan.md',
      ].sort(),
    );
    // The run's before checkpoint against the workspace now: the same change, as nothing moved since.
    expect((await env.run(['checkpoints', 'diff', beforeId!, '--stat'])).stdout).toBe(stat.stdout);
    // Pretty-printed JSON: run synchronously (env.run reads stdout as JSON lines).
    const json = JSON.parse(env.sandbox.run('checkpoints', 'diff', runId!, '--json').stdout);
    expect(json.patch).toBe(diff.stdout.slice(0, json.patch.length));
    expect(json.changes).toHaveLength(6);

    const unknown = await env.run(['checkpoints', 'diff', 'r-00000000']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/no checkpoint "r-00000000"/);
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
  });

  it('puts back the exact tree, then undoing the undo brings the run back', async () => {
    const list = await env.run(['checkpoints', 'list']);
    expect(list.stdout).toMatch(/^r-[0-9a-f]{8} .* run of agent default {2}\d+ file\(s\) changed/m);
    const undo = await env.run(['undo']);
    expect(undo.status).toBe(0);
    expect(undo.stdout).toMatch(/^undid r-[0-9a-f]{8}: /);
    expect(tree(env.workspace)).toEqual(before);
    const redo = await env.run(['undo']);
    expect(redo.status).toBe(0);
    expect(tree(env.workspace)).toEqual(after);
    expect(auditEntries(env.workspace, 'checkpoint_restore')).toHaveLength(2);
  });

  it('refuses to undo over a file the user edited since, until --force', async () => {
    writeFileSync(join(env.workspace, 'docs', 'plan.md'), 'the user rewrote this\n');
    const refused = await env.run(['undo']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(
      /refusing to undo run u-[0-9a-f]{8}: docs\/plan\.md changed again after it ended/,
    );
    expect(readFileSync(join(env.workspace, 'docs', 'plan.md'), 'utf8')).toBe('the user rewrote this\n');
    const forced = await env.run(['undo', '--force']);
    expect(forced.status).toBe(0);
    expect(tree(env.workspace)).toEqual(before);
    // The user's edit was saved before the forced undo: undoing that brings it back.
    await env.run(['undo']);
    expect(readFileSync(join(env.workspace, 'docs', 'plan.md'), 'utf8')).toBe('the user rewrote this\n');
  });

  it('undoes an older run by its id, only the files it changed: other edits since stay, its own files edited since refuse', async () => {
    const ws = env.workspace;
    writeFileSync(join(ws, 'mine.txt'), 'mine\n');
    const listed = (await env.run(['checkpoints', 'list'])).stdout;
    const runId = /^(r-[0-9a-f]{8}) /m.exec(listed)?.[1];
    expect(runId).toBeDefined();
    // docs/plan.md holds the user's edit (previous test), not what run r- left there.
    const refused = await env.run(['undo', '--run', runId!]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(
      `refusing to undo run ${runId}: docs/plan.md changed again after it ended`,
    );
    expect(refused.stderr).not.toContain('mine.txt');
    writeFileSync(join(ws, 'docs', 'plan.md'), 'a final plan\n');
    const undone = await env.run(['undo', '--run', runId!]);
    expect(undone.status).toBe(0);
    const now = tree(ws);
    expect(now['mine.txt']).toBeDefined();
    expect(now).toEqual({ ...before, 'mine.txt': now['mine.txt'] });
  });
});

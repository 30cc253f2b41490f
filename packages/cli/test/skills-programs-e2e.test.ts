/**
 * Skills and programs through the real binary: `oxydra skills list|show|install|remove` and
 * `oxydra programs install|list|enable|disable|remove` on a fresh HOME; a missing required host
 * tool is exit 2 with one line naming it, a missing optional one a warning; an upgrade from a
 * git URL (file://); and `oxydra run` where a scripted model loads an installed skill and
 * follows it, its body absent from the first request.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelFixtures } from '@oxydra/kernel/testing/fixture-paths';
import { commitAll, gitRepository } from '@oxydra/kernel/testing/skill-helpers';
import { describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { CliSandbox, endedAfterEach } from './helpers.js';

const FIXTURES = kernelFixtures();
const SKILL = join(FIXTURES, 'skills', 'changelog-entry');
const PROGRAM = join(FIXTURES, 'programs', 'repo-digest');

const ended = endedAfterEach();

describe('oxydra skills', () => {
  it('lists the bundled skills, installs, shows and removes one, and refuses to remove a bundled one', () => {
    const sandbox = ended.sandbox(new CliSandbox());
    const list = sandbox.run('skills', 'list');
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^NAME +SOURCE +DESCRIPTION$/m);
    expect(list.stdout).toMatch(/^code-review +bundled +Review a change/m);
    expect(list.stdout).toMatch(/^release-notes +bundled /m);
    expect(list.stdout).toMatch(/^debugging +bundled /m);

    const install = sandbox.run('skills', 'install', SKILL);
    expect(install.stderr).toBe('');
    expect(install.status).toBe(0);
    const userDir = join(sandbox.home, '.config', 'oxydra', 'skills', 'changelog-entry');
    expect(install.stdout).toBe(`installed changelog-entry (user: ${userDir})\n`);
    expect(sandbox.run('skills', 'list').stdout).toMatch(
      /^changelog-entry +user +Adds an entry to CHANGES.md/m,
    );
    const json = JSON.parse(sandbox.run('skills', 'list', '--json').stdout) as {
      name: string;
      tier: string;
    }[];
    expect(json.find((skill) => skill.name === 'changelog-entry')).toMatchObject({
      tier: 'user',
      allowed_tools: ['Read', 'Write', 'Bash(git log:*)'],
    });

    const show = sandbox.run('skills', 'show', 'changelog-entry');
    expect(show.status).toBe(0);
    expect(show.stdout).toMatch(/^files +references\/format.md \(/m);
    expect(show.stdout).toMatch(
      /^tools +Read, Write, Bash\(git log:\*\) \(file_read, file_write, shell_exec\)$/m,
    );
    expect(show.stdout).toContain('Keep the summary under 72 characters: $ARGUMENTS');
    const unknown = sandbox.run('skills', 'show', 'changelog-entri');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(
      /^error: no skill named "changelog-entri" \(did you mean "changelog-entry"\?\)/,
    );

    const taken = sandbox.run('skills', 'install', SKILL);
    expect(taken.status).toBe(2);
    expect(taken.stderr).toBe(
      `error: a skill named "changelog-entry" is already installed in ${join(sandbox.home, '.config', 'oxydra', 'skills')}\n  hint: --force replaces it\n`,
    );
    const local = sandbox.run('skills', 'install', '--workspace', SKILL);
    expect(local.status).toBe(0);
    expect(sandbox.run('skills', 'list').stdout).toMatch(
      /^changelog-entry +workspace .*\(overrides another\)$/m,
    );

    const bundled = sandbox.run('skills', 'remove', 'code-review');
    expect(bundled.status).toBe(2);
    expect(bundled.stderr).toBe(
      'error: code-review is bundled with Oxydra and cannot be removed\n  hint: turn it off with [skills] disabled = ["code-review"]\n',
    );
    expect(sandbox.run('skills', 'remove', 'changelog-entry').stdout).toBe(
      `removed changelog-entry (user: ${userDir})\n`,
    );
    expect(sandbox.run('skills', 'remove', 'changelog-entry').stdout).toMatch(
      /^removed changelog-entry \(workspace: /,
    );
    expect(sandbox.run('skills', 'list').stdout).not.toContain('changelog-entry');
  });
});

describe('oxydra programs', () => {
  it('refuses a missing required host tool, warns for an optional one, lists, disables, upgrades from git, removes', () => {
    const sandbox = ended.sandbox(new CliSandbox());
    const needy = join(sandbox.root, 'needy');
    cpSync(PROGRAM, needy, { recursive: true });
    const manifest = readFileSync(join(needy, 'program.toml'), 'utf8');
    writeFileSync(
      join(needy, 'program.toml'),
      manifest.replace('required = ["git"]', 'required = ["git", "oxydra-test-no-such-tool"]'),
    );
    const refused = sandbox.run('programs', 'install', needy);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe(
      'error: program repo-digest needs the host tool "oxydra-test-no-such-tool", not found on PATH\n  hint: install oxydra-test-no-such-tool, then install the program again\n',
    );
    expect(sandbox.run('programs', 'list').stdout).toBe(
      'no programs: oxydra programs install <folder or git URL>\n',
    );

    const repo = join(sandbox.root, 'repo');
    cpSync(PROGRAM, repo, { recursive: true });
    const url = gitRepository(repo, {});
    const installed = sandbox.run('programs', 'install', url);
    expect(installed.status).toBe(0);
    expect(installed.stdout).toBe('installed repo-digest 1.0.0\n');
    expect(installed.stderr).toBe(
      'warning: optional host tool "oxydra-test-absent-pager" not found on PATH: repo-digest works without it, with less\n',
    );
    const list = sandbox.run('programs', 'list');
    expect(list.stdout).toMatch(
      /^repo-digest +1\.0\.0 +enabled +Summarises .* \(needs tools: read, exec; missing optional: oxydra-test-absent-pager\)$/m,
    );
    expect(sandbox.run('skills', 'list').stdout).toMatch(
      /^repo-digest +program repo-digest 1\.0\.0 +Write a digest/m,
    );

    expect(sandbox.run('programs', 'disable', 'repo-digest').stdout).toBe('repo-digest disabled\n');
    expect(sandbox.run('programs', 'list').stdout).toMatch(/^repo-digest +1\.0\.0 +disabled /m);
    expect(sandbox.run('skills', 'list').stdout).not.toContain('repo-digest');
    expect(sandbox.run('programs', 'enable', 'repo-digest').stdout).toBe('repo-digest enabled\n');

    writeFileSync(join(repo, 'program.toml'), manifest.replace('1.0.0', '1.1.0'));
    commitAll(repo, 'release 1.1.0');
    const upgraded = sandbox.run('programs', 'install', url);
    expect(upgraded.stdout).toBe('upgraded repo-digest 1.0.0 -> 1.1.0\n');
    const json = JSON.parse(sandbox.run('programs', 'list', '--json').stdout);
    expect(json).toEqual([
      expect.objectContaining({
        name: 'repo-digest',
        version: '1.1.0',
        enabled: true,
        requires_tools: ['read', 'exec'],
        missing_optional: ['oxydra-test-absent-pager'],
        source: url,
      }),
    ]);

    expect(sandbox.run('programs', 'remove', 'repo-digest').stdout).toBe('removed repo-digest 1.1.0\n');
    const gone = sandbox.run('programs', 'remove', 'repo-digest');
    expect(gone.status).toBe(2);
    expect(gone.stderr).toBe(
      'error: no program "repo-digest" is installed\n  hint: oxydra programs install <folder or git URL>\n',
    );
  });
});

describe('a run with an installed skill', () => {
  it('the model loads the skill, reads its file and follows it; the first request has only its description', async () => {
    const env = await AgentEnv.start(E2E_APIS[0]!, [
      { reply: { toolCalls: [{ name: 'skill_load', arguments: { name: 'changelog-entry' } }] } },
      {
        reply: {
          toolCalls: [
            { name: 'skill_load', arguments: { name: 'changelog-entry', file: 'references/format.md' } },
          ],
        },
      },
      {
        reply: {
          toolCalls: [
            {
              name: 'file_write',
              arguments: { path: 'CHANGES.md', content: '* add skills (skill-format-v2)\n' },
            },
          ],
        },
      },
      { reply: { text: 'Recorded.' } },
    ]);
    ended.env(env);
    expect((await env.run(['skills', 'install', SKILL])).status).toBe(0);
    const run = await env.run(['run', 'record that we added skills']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Recorded.');
    expect(env.requestText(0)).toContain(
      "- changelog-entry: Adds an entry to CHANGES.md in the project's house format.",
    );
    expect(env.requestText(0)).not.toContain('Keep the summary under 72 characters');
    expect(env.requestText(1)).toContain('Keep the summary under 72 characters');
    expect(env.requestText(2)).toContain('skill-format-v2');
    expect(readFileSync(join(env.workspace, 'CHANGES.md'), 'utf8')).toBe('* add skills (skill-format-v2)\n');
  }, 60_000);
});

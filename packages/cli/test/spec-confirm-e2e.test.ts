/**
 * `oxydra run --spec` on a terminal (the real binary under tmux, the testkit's mock model): the
 * directive is shown and the user accepts, edits it in $EDITOR (a TOML rendering read back with
 * the configuration's parser) or cancels before anything runs. The edit-parse functions are
 * checked on their own too: a broken edit is refused with the reason and the directive kept.
 */
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Directive } from '@oxydra/kernel/spec';
import type { ScenarioStep } from '@oxydra/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { confirmDirective, directiveToml, parseDirectiveToml } from '../src/run/spec-confirm.js';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { type TmuxPane, tmuxAvailable } from './tui-tmux.js';

const DIRECTIVE: Directive = {
  goal: 'Write a.md',
  constraints: ['touch nothing else'],
  criteria: [
    { id: 'c1', kind: 'file', text: 'file: a.md exists', path: 'a.md', nonEmpty: false },
    { id: 'c2', kind: 'judge', text: 'The file says "hello"' },
  ],
};

describe('the directive as the user edits it', () => {
  it('round-trips through its TOML rendering, criteria parsed as typed', () => {
    const text = directiveToml(DIRECTIVE);
    expect(text).toContain('acceptance_criteria = [ "file: a.md exists", "The file says \\"hello\\"" ]');
    expect(parseDirectiveToml(text, 'directive.toml')).toEqual(DIRECTIVE);
    const edited = parseDirectiveToml(
      text.replace('file: a.md exists', 'test: grep -q hello a.md'),
      'd.toml',
    );
    expect(edited.criteria[0]).toEqual({
      id: 'c1',
      kind: 'test',
      text: 'test: grep -q hello a.md',
      command: 'grep -q hello a.md',
    });
  });

  it('keeps which criteria are independent (split into sub-agents) through an edit', () => {
    const marked: Directive = {
      ...DIRECTIVE,
      criteria: DIRECTIVE.criteria.map((c) => (c.id === 'c2' ? { ...c, independent: true } : c)),
    };
    const text = directiveToml(marked);
    expect(text).toContain('independent = [ 2 ]');
    expect(parseDirectiveToml(text, 'directive.toml')).toEqual(marked);
    const all = parseDirectiveToml(text.replace('independent = [ 2 ]', 'independent = [ 1, 2 ]'), 'd.toml');
    expect(all.criteria.map((c) => c.independent)).toEqual([true, true]);
  });

  it('refuses a broken edit with the reason, and keeps the directive', async () => {
    expect(() => parseDirectiveToml('goal = "x"\nacceptance_criteria = [', 'd.toml')).toThrow(
      /^d\.toml:2:\d+: invalid TOML/,
    );
    expect(() => parseDirectiveToml('goal = "x"\nacceptance_criteria = []', 'd.toml')).toThrow(
      /directive's acceptance_criteria/,
    );
    const said: string[] = [];
    const answers = ['e', 'y'];
    const chosen = await confirmDirective(DIRECTIVE, {
      ask: async () => answers.shift(),
      edit: (path) => writeFileSync(path, 'goal = [broken'),
      say: (text) => said.push(text),
    });
    expect(chosen).toEqual(DIRECTIVE);
    expect(said.join('')).toContain('spec: the edit was not taken: ');
    // No answer (Ctrl+C, end of input) or "n" cancels.
    expect(
      await confirmDirective(DIRECTIVE, { ask: async () => undefined, edit: () => {}, say: () => {} }),
    ).toBe(undefined);
  });
});

describe.skipIf(!tmuxAvailable())('run --spec on a terminal (skipped where tmux is missing)', () => {
  /** `oxydra <args>` in a tmux pane whose $EDITOR replaces a.md with b.md in the file it is given. */
  async function start(args: string[], steps: ScenarioStep[]): Promise<{ env: AgentEnv; pane: TmuxPane }> {
    const env = await AgentEnv.start(E2E_APIS[0]!, steps);
    const editor = join(env.sandbox.root, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/a\\.md/b.md/g" "$1"\n');
    chmodSync(editor, 0o755);
    const pane = env.inPane(args, { EDITOR: editor });
    onTestFinished(async () => {
      pane.kill();
      await env.close();
    });
    return { env, pane };
  }

  const QUESTION = 'spec: run it? [Y]es, [e]dit, [n]o:';

  it('edits the directive in $EDITOR, then runs the edited one', async () => {
    const { env, pane } = await start(
      ['run', '--criterion', 'file: a.md exists', '--max-attempts', '1', '--exit-code', 'write the file'],
      [
        { reply: { toolCalls: [{ name: 'file_write', arguments: { path: 'b.md', content: 'hi\n' } }] } },
        { reply: { text: 'Wrote b.md.' } },
      ],
    );
    await pane.waitForText(QUESTION);
    expect(env.mock.requests).toHaveLength(0);
    pane.type('e');
    pane.press('Enter');
    await pane.waitForText('criterion c1 (checked: file): file: b.md exists');
    pane.type('y');
    pane.press('Enter');
    expect(await pane.waitForExit(30_000)).toBe(0);
    expect(pane.output()).toContain('pass c1 file: b.md exists');
    expect(existsSync(join(env.workspace, 'b.md'))).toBe(true);
    expect(env.requestText(0)).toContain('- file: b.md exists');
  }, 60_000);

  it('cancels before anything runs', async () => {
    const { env, pane } = await start(['run', '--criterion', 'file: a.md exists', 'write the file'], []);
    await pane.waitForText(QUESTION);
    pane.type('n');
    pane.press('Enter');
    expect(await pane.waitForExit()).toBe(1);
    expect(pane.output()).toContain('spec: cancelled before anything ran');
    expect(env.mock.requests).toHaveLength(0);
  }, 60_000);

  it('--yes runs without asking', async () => {
    const { env, pane } = await start(
      ['run', '--yes', '--criterion', 'file: a.md exists', '--max-attempts', '1', 'write the file'],
      [{ reply: { text: 'Not today.' } }],
    );
    expect(await pane.waitForExit(30_000)).toBe(0);
    expect(pane.output()).toContain('spec: directive\ngoal: write the file');
    expect(pane.output()).not.toContain(QUESTION);
    expect(env.mock.requests).toHaveLength(1);
  }, 60_000);
});

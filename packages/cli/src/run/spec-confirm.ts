/**
 * `oxydra run --spec` on a terminal: the directive is shown before anything runs, and the user
 * accepts it, edits it ($VISUAL/$EDITOR on a TOML rendering, read back with the configuration's
 * TOML parser and checked as the model's directive is) or cancels. --yes, --json and a run
 * without a terminal skip the question (run-spec.ts decides).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTomlText } from '@oxydra/config';
import { type Directive, directiveFromFields, formatDirective } from '@oxydra/kernel/spec';
import { isOxydraError } from '@oxydra/types';
import { stringify } from 'smol-toml';

const HEADER = `# The spec run's directive. Edit, save and close the editor to run it.
# A criterion may be "test: <command>" (run in the sandbox), "file: <path> exists",
# "json-schema: <json file> <schema file>", or text the model judges.
# independent: numbers (from 1) of criteria whose work can run in a sub-agent of its own.
`;

/** The directive as the TOML the user edits (criteria in their written form). */
export function directiveToml(directive: Directive): string {
  return `${HEADER}${stringify({
    goal: directive.goal,
    constraints: directive.constraints,
    acceptance_criteria: directive.criteria.map((criterion) => criterion.text),
    // Which criteria's work may run in a sub-agent of its own (1-based), kept through an edit.
    independent: directive.criteria.flatMap((criterion, index) => (criterion.independent ? [index + 1] : [])),
  })}\n`;
}

/** The edited TOML back as a directive; a syntax or field problem throws a one-line error. */
export function parseDirectiveToml(text: string, path: string): Directive {
  return directiveFromFields(parseTomlText(text, path));
}

/** Opens `path` in the user's editor ($VISUAL, $EDITOR, else vi) and waits for it to close. */
export function openEditor(path: string): void {
  const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
  // Through the shell as git does, so an editor with arguments ("code --wait") works.
  const run = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'sh', path], { stdio: 'inherit' });
  if (run.error || run.status !== 0) {
    throw new Error(`the editor (${editor}) failed: ${run.error?.message ?? `exit ${run.status}`}`);
  }
}

export interface ConfirmIo {
  ask(question: string): Promise<string | undefined>;
  edit(path: string): void;
  say(text: string): void;
}

/** The directive to run (as shown, or as edited), or undefined when the user cancels. */
export async function confirmDirective(directive: Directive, io: ConfirmIo): Promise<Directive | undefined> {
  let current = directive;
  for (;;) {
    io.say(`spec: directive\n${formatDirective(current)}\n`);
    const answer = (await io.ask('spec: run it? [Y]es, [e]dit, [n]o: '))?.trim().toLowerCase();
    if (answer === undefined || answer === 'n' || answer === 'no') return undefined;
    if (answer === '' || answer === 'y' || answer === 'yes') return current;
    if (answer !== 'e' && answer !== 'edit') continue;
    const dir = mkdtempSync(join(tmpdir(), 'oxydra-spec-'));
    const path = join(dir, 'directive.toml');
    try {
      writeFileSync(path, directiveToml(current), { mode: 0o600 });
      io.edit(path);
      current = parseDirectiveToml(readFileSync(path, 'utf8'), path);
    } catch (error) {
      const hint = isOxydraError(error) && error.hint ? ` (${error.hint})` : '';
      io.say(`spec: the edit was not taken: ${(error as Error).message}${hint}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * The dump tools this machine has (xxd, hexdump, od) run on a scratch file, for the scrubber's
 * dump tests (secret-forms.test.ts, dump-forms.test.ts): the real outputs, not our idea of them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The commands whose tool runs here. */
export function installedOf(commands: readonly string[][]): string[][] {
  return commands.filter(([tool]) => spawnSync(tool!, ['/dev/null']).status === 0);
}

/** Runs `use` with a scratch file: `write` sets its text, `dump` prints it with a command. */
export function withScratchFile(
  use: (write: (text: string) => void, dump: (command: readonly string[]) => string) => void,
): void {
  const dir = mkdtempSync(join(tmpdir(), 'oxydra-dumps-'));
  const file = join(dir, 'creds');
  try {
    use(
      (text) => writeFileSync(file, text),
      (command) => execFileSync(command[0]!, [...command.slice(1), file], { encoding: 'utf8' }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

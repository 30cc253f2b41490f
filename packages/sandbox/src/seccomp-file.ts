/** The seccomp program on disk, written once per process into a private directory bwrap reads it from. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { seccompProgram } from './seccomp.js';

let written: string | null | undefined;

/** The program's path, or undefined on an architecture without a syscall table (reported by detectSandbox). */
export function seccompProgramFile(): string | undefined {
  if (written === undefined) {
    const program = seccompProgram();
    if (program === undefined) {
      written = null;
    } else {
      const dir = mkdtempSync(path.join(tmpdir(), 'oxydra-seccomp-'));
      chmodSync(dir, 0o700);
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      written = path.join(dir, 'filter.bpf');
      writeFileSync(written, program, { mode: 0o600 });
    }
  }
  return written ?? undefined;
}

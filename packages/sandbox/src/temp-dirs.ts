/**
 * Each command's private /tmp on the host: `oxydra-sandbox-<pid>-XXXXXX`, holding HOME. A
 * process killed outright (SIGKILL) cannot remove its own; the next one to start a sandbox
 * removes those of dead processes.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { SANDBOX_HOME } from './args.js';
import { leftByDeadProcesses } from './process-alive.js';

const PREFIX = 'oxydra-sandbox-';
const swept = new Set<string>();

export function createSandboxTmpDir(root: string): string {
  if (!swept.has(root)) {
    swept.add(root);
    sweepDeadProcessDirs(root);
  }
  const dir = mkdtempSync(path.join(root, `${PREFIX}${process.pid}-`));
  mkdirSync(path.join(dir, path.basename(SANDBOX_HOME)));
  return dir;
}

function sweepDeadProcessDirs(root: string): void {
  for (const dir of leftByDeadProcesses(root, PREFIX)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Each command's private /tmp on the host: `oxydra-sandbox-<pid>-XXXXXX`, holding HOME. A
 * process killed outright (SIGKILL) cannot remove its own; the next one to start a sandbox
 * removes those of dead processes.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { SANDBOX_HOME } from './args.js';
import { processAlive } from './process-alive.js';

const PREFIX = 'oxydra-sandbox-';
const OWNER = /^oxydra-sandbox-(\d+)-/;
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
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(OWNER.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || processAlive(pid)) continue;
    rmSync(path.join(root, name), { recursive: true, force: true });
  }
}

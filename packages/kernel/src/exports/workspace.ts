/**
 * `@oxydra/kernel/workspace`: what the CLI's doctor, init and status read about a workspace
 * without opening a kernel: its memory database, sandbox, secrets, write access and the standing
 * of its state. Three come from the assembly because they are the kernel's own assembly of that
 * part (memory with retrieval, the shell's sandbox, the secret policy), which the memory commands,
 * doctor and the gateway's log must see exactly as a run does; the rest are the state's.
 */
export { openWorkspaceMemory, type WorkspaceMemory } from '../assemble/memory.js';
export { shellIsolation } from '../assemble/sandbox.js';
export { knownSecrets } from '../assemble/secrets.js';
export { DEFAULT_APPROVAL_TIMEOUT_MS } from '../services/approvals.js';
export type { ExecOptions } from '../services/exec.js';
export type { MemoryCalls } from '../services/memory-calls.js';
export type { StateCalls } from '../services/state.js';

import { lstatSync } from 'node:fs';
import { basename } from 'node:path';
import { adoptWorkspaceState as adoptState } from '../store/state-adopt.js';

export { kernelDbPath, openKernelDb, WorkspaceIdentity } from '../store/kernel-db.js';
export {
  claimMemory,
  memoryLocation,
  type StateStanding,
  stateStanding,
  WRITE_FIX,
  writeProblem,
} from '../store/state-origin.js';
export { workspaceStatePaths } from '../store/state-paths.js';

/**
 * Records state that exists as this user's own (`oxydra trust --adopt-state`, state-origin.ts).
 * A checkpoint store gets a new origin id, so its branch as it is now is recorded and bound
 * under the user's key with it (refs.ts); else its old record would stop every checkpoint command.
 * The checkpoint modules are loaded here only: this module is loaded by every gateway start, and
 * theirs (git objects, node:zlib) by none.
 */
export async function adoptWorkspaceState(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  if (!adoptState(path, env)) return false;
  const { checkpointGitDir } = await import('../services/checkpoints/git.js');
  if (basename(path) === basename(checkpointGitDir(path)) && lstatSync(path).isDirectory()) {
    const { adoptHeadRecord } = await import('../services/checkpoints/refs.js');
    adoptHeadRecord(path, env);
  }
  return true;
}

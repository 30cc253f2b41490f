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
export { kernelDbPath, openKernelDb, WorkspaceIdentity } from '../store/kernel-db.js';
export {
  adoptWorkspaceState,
  claimMemory,
  memoryLocation,
  type StateStanding,
  stateStanding,
  WRITE_FIX,
  writeProblem,
} from '../store/state-origin.js';
export { workspaceStatePaths } from '../store/state-paths.js';

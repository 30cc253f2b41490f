/**
 * `@oxydra/kernel/workspace`: what the CLI's doctor, init and status read about a workspace
 * without opening a kernel: its memory database, sandbox, secrets, write access, agent settings
 * and the standing of its state.
 */
export {
  type AgentSettings,
  type AgentSettingsOptions,
  resolveAgentSettings,
} from '../assemble/agent-settings.js';
export {
  claimMemory,
  embedderFor,
  loadHistory,
  memoryLocation,
  openWorkspaceMemory,
  SUMMARY_STATE_KEY,
  type WorkspaceMemory,
  withoutSecrets,
} from '../assemble/memory.js';
export {
  bubblewrapSummary,
  identitySummary,
  processLimitDegradation,
  type ShellIsolation,
  shellIsolation,
} from '../assemble/sandbox.js';
export { knownSecrets } from '../assemble/secrets.js';
export { transcriptOf } from '../assemble/summarizer.js';
export { DEFAULT_APPROVAL_TIMEOUT_MS } from '../services/approvals.js';
export type { ExecOptions } from '../services/exec.js';
export type { MemoryCalls } from '../services/memory-calls.js';
export type { StateCalls } from '../services/state.js';
export { kernelDbPath, openKernelDb, WorkspaceIdentity } from '../store/kernel-db.js';
export {
  adoptWorkspaceState,
  type StateStanding,
  stateStanding,
  WRITE_FIX,
  writeProblem,
} from '../store/state-origin.js';
export { workspaceStatePaths } from '../store/state-paths.js';

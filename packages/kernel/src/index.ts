/**
 * @oxydra/kernel: the composition root. Hosts (the CLI, the gateway, the runner's guest, tests)
 * load configuration, open a kernel and use its system calls; none assembles an agent itself.
 */

export { DEFAULT_AGENT } from './assemble/agent.js';
export {
  type AgentSettings,
  type AgentSettingsOptions,
  resolveAgentSettings,
} from './assemble/agent-settings.js';
export { DELEGATE_TOOL } from './assemble/delegate.js';
export {
  claimMemory,
  embedderFor,
  loadHistory,
  memoryLocation,
  openWorkspaceMemory,
  SUMMARY_STATE_KEY,
  type WorkspaceMemory,
  withoutSecrets,
} from './assemble/memory.js';
export {
  bubblewrapSummary,
  identitySummary,
  processLimitDegradation,
  type ShellIsolation,
  shellIsolation,
} from './assemble/sandbox.js';
export { knownSecrets } from './assemble/secrets.js';
export { transcriptOf } from './assemble/summarizer.js';
export { WRITE_FIX, writeProblem } from './assemble/writable.js';
export { isLifecycleEvent } from './events.js';
export { type AgentDescription, type Kernel, openKernel } from './kernel.js';
export * from './personas/index.js';
export type { PluginInfo } from './plugins/host.js';
export * from './programs/index.js';
export * from './replay/index.js';
export * from './scheduler/index.js';
export {
  AdminApprovalFeed,
  type ApprovalChange,
  type ApprovalChangeType,
} from './services/admin-approval-feed.js';
export {
  type AdminApproval,
  type AdminOperation,
  APPROVAL_TTL_MS,
  type ApprovalCalls,
  type ApprovalStatus,
  describeAdminOperation,
} from './services/admin-approvals.js';
export type { AdminPolicy, CapChangeOutcome, MadeToken } from './services/admin-policy.js';
export { Admission, type Holder, type Release } from './services/admission.js';
export { DEFAULT_APPROVAL_TIMEOUT_MS } from './services/approvals.js';
export type { AuditCalls } from './services/audit/audit-calls.js';
export { headFilePath, KernelAudit, legacyAuditPath, SESSION_HEAD_KEY } from './services/audit/audit-log.js';
export type { AuditFilter, AuditHead, AuditRecord } from './services/audit/chain.js';
export type { AuditAction, AuditEntry } from './services/audit/entry.js';
export type { AuditAnchor, AuditProblem, TamperKind, VerifyReport } from './services/audit/verify.js';
export type { BudgetSnapshot } from './services/budget-accounts.js';
export type { BudgetCalls, BudgetTarget, CapStatus, ScopeBudget } from './services/budgets/budget-calls.js';
export {
  CAP_KEYS,
  type CapChangeEffect,
  type CapKey,
  type CapOrigin,
  LOCAL_USER,
} from './services/budgets/caps.js';
export type { Checkpoint, CheckpointTag, FileChange, RestoreReport } from './services/checkpoints/index.js';
export type { ExecOptions } from './services/exec.js';
export type { CheckpointCalls, RunHistory, UndoReport } from './services/history/workspace-history.js';
export type { MemoryCalls } from './services/memory-calls.js';
export type { ResourceSnapshot } from './services/resources.js';
export { type AccessScope, mayUse, type SessionAccess, sessionAccess } from './services/session-access.js';
export type { StateCalls } from './services/state.js';
export type { KernelTelemetry } from './services/telemetry.js';
export { type Principal, ROLES, type Role, type TokenCalls, type TokenInfo } from './services/tokens.js';
export {
  COST_GROUPS,
  type CostCalls,
  type CostGroup,
  type CostQuery,
  type CostReport,
  type CostRow,
  type CostTotals,
} from './services/usage/cost-report.js';
export type { UsageKind } from './services/usage/usage-log.js';
export * from './skills/index.js';
export { kernelDbPath, openKernelDb } from './store/kernel-db.js';
export { adoptWorkspaceState, type StateStanding, stateStanding } from './store/state-origin.js';
export { WorkspaceIdentity } from './store/workspace-identity.js';
export type * from './types.js';
export { openWorkspaceServices, type WorkspaceServices } from './workspace-services.js';

/** `@oxydra/kernel/audit`: the tamper-evident record's types and its files (`oxydra audit`, doctor). */
export type { AuditCalls } from '../services/audit/audit-calls.js';
export { headFilePath, KernelAudit, legacyAuditPath, SESSION_HEAD_KEY } from '../services/audit/audit-log.js';
export type { AuditFilter, AuditHead, AuditRecord } from '../services/audit/chain.js';
export type { AuditAction, AuditEntry } from '../services/audit/entry.js';
export type { AuditAnchor, AuditProblem, TamperKind, VerifyReport } from '../services/audit/verify.js';

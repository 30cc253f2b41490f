/**
 * @oxydra/runtime: the agent loop over a Provider and a ToolExecutor, with budgets (turns,
 * dollars, wall time, per-call timeouts), context assembly within the model's window, parallel
 * read-only tool dispatch, steering, follow-ups and cancellation; and, through optional hooks the
 * caller wires to its store, durable turns, memory recall and rolling summarization.
 */
export {
  CostTally,
  costLeft,
  costLimitVerdict,
  formatUsd,
  REPEATED_FAILURE_LIMIT,
  unenforceableCostLimit,
} from './budgets.js';
export {
  type ContextExtras,
  DEFAULT_CONTEXT_BUDGET,
  type FittedContext,
  fitContext,
  promptLimit,
  RECALL_FAILED,
  RECALL_HEADER,
  type Recalled,
  type RecallHook,
  recallMessage,
  type TaintedSnippet,
  TRIMMED_NOTE,
} from './context-window.js';
export { type Clock, raceAbort, systemClock } from './deadline.js';
export { forEachLimited, planGroups } from './dispatch.js';
export { PersistenceError, RunError, type RunFailure } from './errors.js';
export { DEFAULT_HEARTBEAT_MS } from './loop.js';
export type { PersistHook } from './persist.js';
export { CONTEXT_FAILED, type ContextHook } from './provided-context.js';
/** What separates the texts of a run's model calls in its answer (a stored turn's answer is read back with it). */
export { CALL_SEPARATOR } from './provider-call.js';
export { startAgentRun } from './run.js';
export type { StateTransition, TurnState } from './state.js';
export {
  KEEP_NEWEST,
  type StoredSummary,
  type SummarizationOptions,
  type SummarizeHook,
  type SummaryStore,
} from './summarize.js';
export {
  CONDENSED_HEADER,
  MAX_ENTRY_CHARS,
  MAX_SUMMARY_CHARS,
  MAX_SUMMARY_ENTRIES,
  mechanicalSummary,
  SUMMARY_HEADER,
  summaryMessage,
} from './summary-text.js';
export { defaultSystemPrompt, type SystemPromptOptions } from './system-prompt.js';
export type {
  AgentRun,
  AgentRunOptions,
  BudgetLedger,
  ContextBudget,
  RunBudgets,
  RunResult,
  RunStatus,
} from './types.js';

/**
 * @oxydra/runtime: the agent loop over a Provider and a ToolExecutor, with budgets (turns,
 * dollars, wall time, per-call timeouts), context assembly within the model's window, parallel
 * read-only tool dispatch, steering, follow-ups and cancellation.
 */
export { type AgentSettings, type AgentSettingsOptions, resolveAgentSettings } from './agent-settings.js';
export { type Clock, systemClock } from './clock.js';
export {
  DEFAULT_CONTEXT_BUDGET,
  type FittedContext,
  fitContext,
  promptLimit,
  TRIMMED_NOTE,
} from './context-window.js';
export { planGroups } from './dispatch.js';
export { RunError, type RunFailure } from './errors.js';
export { DEFAULT_HEARTBEAT_MS } from './loop.js';
export { REPEATED_FAILURE_LIMIT } from './repeat-guard.js';
export { startAgentRun } from './run.js';
export type { StateTransition, TurnState } from './state.js';
export { defaultSystemPrompt, type SystemPromptOptions } from './system-prompt.js';
export type { AgentRun, AgentRunOptions, ContextBudget, RunBudgets, RunResult, RunStatus } from './types.js';

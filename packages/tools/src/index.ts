/**
 * @oxydra/tools: defineTool, the ToolRegistry (the runtime's ToolExecutor), output truncation and
 * scrubbing, the workspace path policy, and the core file and shell tools.
 *
 * Only what callers use is re-exported here: importing this module loads every module it names.
 * The tools are offered from their definitions (core/catalog.ts) and load their code at their
 * first call; the guarded fetch is `@oxydra/tools/safe-fetch`. Tests import the parts by path.
 */

/** Byte caps on text that never split a UTF-8 character. */
export { utf8Prefix, utf8Suffix } from '@oxydra/sandbox/detect';
export {
  type CoreToolsOptions,
  createCoreTools,
  createWebTools,
  fileDeleteTool,
  fileEditTool,
  fileListTool,
  fileReadTool,
  fileSearchTool,
  fileToolsPolicy,
  fileWriteTool,
  shellExecTool,
  type WebSearchConfig,
  type WebToolsOptions,
  webFetchTool,
  webSearchTool,
} from './core/catalog.js';
export {
  DEFAULT_READ_BYTES,
  DEFAULT_READ_LINES,
  DEFAULT_SHELL_OUTPUT_BYTES,
  type FileReadOptions,
  type FileSearchOptions,
  MAX_LIST_ENTRIES,
  MAX_SEARCH_MATCHES,
  type ShellConfig,
  type ShellExecOptions,
} from './core/parameters.js';
export {
  type DefinedTool,
  defineTool,
  isDefinedTool,
  type ObjectSchema,
  type ToolDefinition,
  type ToolRun,
  type Validation,
} from './define.js';
export {
  type DeniedPath,
  deniedWithin,
  INTERNAL_DIR,
  type PathPolicy,
  type ResolvedPath,
  resolveWorkspacePath,
  WorkspacePathError,
} from './paths.js';
export type { CommandResult, CommandRunner, RunCommandOptions } from './process/run-command.js';
export {
  type ApprovalMode,
  type ApprovalRecord,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_TOOL_TIMEOUT_MS,
  ToolRegistry,
  type ToolRegistryOptions,
  truncateOutput,
  truncationSuffix,
} from './registry.js';
export * from './scrub.js';
export { BASE_ENV_KEYS, commandEnvironment } from './shell/env.js';
export type { ShellPolicy } from './shell/policy.js';
export type { TaintScreen, TaintVerdict } from './taint-gate.js';
export * from './vault/index.js';

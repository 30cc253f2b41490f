/**
 * @oxydra/tools: defineTool, the ToolRegistry (the runtime's ToolExecutor), output truncation and
 * scrubbing, the workspace path policy, and the core file and shell tools.
 *
 * Only what callers use is re-exported here: importing this module loads every module it names,
 * and the tools load their working parts (the atomic write, the shell runner and policy, the
 * search walk, the HTML reader) at their first call. Tests import those parts by path.
 */

export { fileDeleteTool } from './core/file-delete.js';
export { fileEditTool } from './core/file-edit.js';
export { fileListTool, MAX_LIST_ENTRIES } from './core/file-list.js';
export {
  DEFAULT_READ_BYTES,
  DEFAULT_READ_LINES,
  type FileReadOptions,
  fileReadTool,
} from './core/file-read.js';
export { type FileSearchOptions, fileSearchTool, MAX_SEARCH_MATCHES } from './core/file-search.js';
export { fileWriteTool } from './core/file-write.js';
export { type CoreToolsOptions, createCoreTools } from './core/index.js';
export {
  DEFAULT_SHELL_OUTPUT_BYTES,
  type ShellConfig,
  type ShellExecOptions,
  shellExecTool,
} from './core/shell-exec.js';
export {
  type DefinedTool,
  defineTool,
  isDefinedTool,
  type ObjectSchema,
  type ToolDefinition,
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
} from './registry.js';
export * from './scrub/index.js';
export { BASE_ENV_KEYS, commandEnvironment } from './shell/env.js';
export type { ShellPolicy } from './shell/policy.js';
export { truncateOutput, truncationSuffix, utf8Prefix, utf8Suffix } from './truncate.js';
export * from './vault/index.js';
export * from './web/index.js';

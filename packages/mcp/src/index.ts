/**
 * @oxydra/mcp: MCP servers from `[mcp.servers]` as tool sources (stdio inside the sandbox
 * policy, or Streamable HTTP), their tools namespaced `<server>__<tool>`, with reconnects and
 * list-changed refreshes.
 */
export { type McpSourcesOptions, mcpToolSources } from './factory.js';
export { MAX_TOOL_NAME, namespacedName, namespacedNames } from './names.js';
export type { McpToolInfo } from './offered-tools.js';
export { type McpCallResult, resultText, toToolResult } from './results.js';
export { ConfigProblem } from './server-transport.js';
export {
  CLIENT_INFO,
  McpServerSource,
  type McpServerSourceOptions,
  type ReconnectOptions,
} from './source.js';
export {
  planStdio,
  SandboxRefusal,
  type SandboxSettings,
  SERVER_BASE_ENV,
  type StdioLaunch,
  type StdioLaunchOptions,
} from './stdio-launch.js';
export { argumentCheck, modelParameters } from './validate.js';

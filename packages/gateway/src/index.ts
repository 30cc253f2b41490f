/**
 * @oxydra/gateway: the HTTP + WebSocket daemon. Protocol v2 frames (from @oxydra/types) on /ws,
 * sessions in the memory database, per-user turn limits, token auth, an OpenAI-compatible
 * /v1/chat/completions and REST over sessions. Every turn is a kernel agent
 * (`kernel.agents.spawn`), whichever door it came through.
 */
export { GATEWAY_SUBPROTOCOL } from './auth.js';
export { type BindAddress, isLoopbackHost, parseBind, urlHost } from './bind.js';
export type { GatewayClusterOptions } from './cluster/options.js';
export { GatewayError, type GatewayErrorCode } from './errors.js';
export type { McpServerScope } from './mcp/oxydra-mcp-server.js';
export { type Gateway, startGateway } from './server.js';
export { type ResolvedToken, resolveGatewayToken } from './token.js';
export {
  type Clock,
  DEFAULT_AGENT,
  DEFAULT_LIMITS,
  DEFAULT_USER,
  GATEWAY_CHANNEL,
  type GatewayChannelServing,
  type GatewayLimits,
  type GatewayLogger,
  type GatewayOptions,
  type GatewayTrust,
  type LogLevel,
  type TurnAttachment,
} from './types.js';
// Oxydra's MCP server over a kernel is the subpath `@oxydra/gateway/mcp-server`, so that
// `oxydra mcp serve` loads it without the HTTP server (Fastify) this entry loads.

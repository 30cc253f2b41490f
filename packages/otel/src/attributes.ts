/**
 * Names: the OpenTelemetry GenAI semantic conventions' attributes and instruments, and Oxydra's
 * own (prefixed `oxydra.`). Kept in one place so the tables of docs/observability.md and the code agree.
 */
import { WIRE_FACTS, type WireFacts } from '@oxydra/types';

export const ATTR = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  /** The older name of gen_ai.provider.name, still what many backends group by. */
  system: 'gen_ai.system',
  requestModel: 'gen_ai.request.model',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  cacheReadTokens: 'gen_ai.usage.cache_read.input_tokens',
  cacheWriteTokens: 'gen_ai.usage.cache_creation.input_tokens',
  finishReasons: 'gen_ai.response.finish_reasons',
  agentName: 'gen_ai.agent.name',
  agentId: 'gen_ai.agent.id',
  conversationId: 'gen_ai.conversation.id',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
  toolType: 'gen_ai.tool.type',
  tokenType: 'gen_ai.token.type',
  errorType: 'error.type',
  /** Oxydra's provider registry entry (a user's "ollama" over the openai wire). */
  provider: 'oxydra.provider',
  turn: 'oxydra.turn',
  turns: 'oxydra.turns',
  costUsd: 'oxydra.cost_usd',
  outcome: 'oxydra.outcome',
  toolStatus: 'oxydra.tool.status',
  approvalOutcome: 'oxydra.approval.outcome',
} as const;

/** gen_ai.operation.name values. */
export const OPERATION = { agent: 'invoke_agent', chat: 'chat', tool: 'execute_tool' } as const;

/** The instruments; docs/observability.md lists them with their Prometheus names. */
export const METRIC = {
  tokenUsage: 'gen_ai.client.token.usage',
  operationDuration: 'gen_ai.client.operation.duration',
  turnDuration: 'oxydra.turn.duration',
  providerTokens: 'oxydra.provider.tokens',
  providerCost: 'oxydra.provider.cost',
  toolExecutions: 'oxydra.tool.executions',
  toolDuration: 'oxydra.tool.duration',
  activeAgents: 'oxydra.agents.active',
  approvalWait: 'oxydra.approval.wait',
} as const;

/** gen_ai.provider.name for each wire API (the conventions' well-known values, kept in WIRE_FACTS). */
export function providerName(providerType: string): string {
  return (WIRE_FACTS as Record<string, WireFacts | undefined>)[providerType]?.genAiName ?? providerType;
}

/** The conventions' bucket boundaries for gen_ai.client.token.usage. */
export const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];

/** The conventions' bucket boundaries for gen_ai.client.operation.duration (seconds), used for every duration. */
export const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84, 327.68,
];

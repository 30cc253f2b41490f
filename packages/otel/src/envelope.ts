/**
 * What telemetry reads: the kernel's event envelopes, typed here by their shape (this package
 * sits below the kernel and cannot import it). The kernel's KernelEvent is assignable to
 * TelemetryEnvelope; a field the kernel adds later is simply not read.
 */
import type { StreamEvent } from '@oxydra/types';

/** The kernel's lifecycle events, as far as telemetry reads them. */
export type TelemetryLifecycleEvent =
  | { type: 'agent_spawned'; agentId: string; parentAgentId?: string; name: string; task: string }
  | { type: 'agent_exited'; agentId: string; status: string; reason?: string }
  | { type: 'approval_requested'; id: string; agentId: string; tool: string }
  | { type: 'approval_resolved'; id: string; agentId: string; allow: boolean; by: string };

export interface TelemetryEnvelope {
  seq: number;
  agentId: string;
  parentAgentId?: string;
  sessionId?: string;
  userId?: string;
  event: StreamEvent | TelemetryLifecycleEvent;
}

/** What the kernel knows about an agent that its events do not say: the model it calls. */
export interface AgentModel {
  /** The provider registry entry ("openai", a user's "ollama"). */
  provider: string;
  /** Its wire API type ("openai", "openai_responses", "anthropic", "gemini"). */
  providerType: string;
  /** The model id sent to the provider. */
  model: string;
}

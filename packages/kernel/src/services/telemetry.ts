/**
 * OpenTelemetry for the kernel's agents ([otel]): off by default, and then neither this module
 * (the kernel imports it only when on) nor @oxydra/otel and the OpenTelemetry SDK are imported
 * (a gateway pays nothing for them). On, the SDK is loaded
 * once at openKernel and fed every event of the bus; the events lack only the model an agent
 * calls, which the agent's assembly says. Captured text and export errors pass the kernel's one
 * secret list (assemble/secrets.ts), the export headers' values among it.
 */
import type { AgentModel, Telemetry } from '@oxydra/otel';
import { scrubText } from '@oxydra/tools';
import type { AgentAssembly } from '../assemble/agent.js';
import type { KernelBase } from '../assemble/base.js';
import type { HostKind } from '../types.js';

/** What hosts use of the telemetry: the gateway's /metrics. */
export interface KernelTelemetry {
  /** The metrics in the Prometheus text exposition format (version 0.0.4). */
  prometheusText(): Promise<string>;
  /** Exports the pending spans and metrics now. */
  flush(): Promise<void>;
}

/** Starts the SDK; called only with [otel] enabled. */
export async function startKernelTelemetry(
  base: KernelBase,
  host: HostKind,
  assemblyOf: (agentId: string) => AgentAssembly | undefined,
): Promise<Telemetry> {
  const { startTelemetry } = await import('@oxydra/otel');
  return startTelemetry({
    config: base.config.otel,
    env: base.env,
    describeAgent: (agentId: string): AgentModel | undefined => {
      const assembly = assemblyOf(agentId);
      return assembly
        ? { provider: assembly.providerName, providerType: assembly.provider.type, model: assembly.model.id }
        : undefined;
    },
    scrub: (text) => scrubText(text, { secrets: base.secrets }),
    warn: base.warn,
    resourceAttributes: { 'oxydra.host': host },
  });
}

/**
 * The GenAI metrics the recorder writes, made once per meter: names and units from the
 * OpenTelemetry GenAI conventions (attributes.ts), bucket boundaries as the conventions advise.
 */
import type { Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import { DURATION_BUCKETS, METRIC, TOKEN_BUCKETS } from './attributes.js';

export interface Instruments {
  tokenUsage: Histogram;
  operationDuration: Histogram;
  turnDuration: Histogram;
  providerTokens: Counter;
  providerCost: Counter;
  toolExecutions: Counter;
  toolDuration: Histogram;
  activeAgents: UpDownCounter;
  approvalWait: Histogram;
}

export function instruments(meter: Meter): Instruments {
  const seconds = (name: string, description: string) =>
    meter.createHistogram(name, {
      description,
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
  return {
    tokenUsage: meter.createHistogram(METRIC.tokenUsage, {
      description: 'Tokens per model call, by gen_ai.token.type (input, output)',
      unit: '{token}',
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    }),
    operationDuration: seconds(METRIC.operationDuration, 'Duration of a model call'),
    turnDuration: seconds(METRIC.turnDuration, "Duration of an agent's turn (a prompt to its answer)"),
    providerTokens: meter.createCounter(METRIC.providerTokens, {
      description: 'Tokens used, by gen_ai.token.type (input, output, cache_read, cache_write)',
      unit: '{token}',
    }),
    providerCost: meter.createCounter(METRIC.providerCost, {
      description: "US dollars spent on model calls, from the model catalog's prices",
      unit: 'USD',
    }),
    toolExecutions: meter.createCounter(METRIC.toolExecutions, {
      description: 'Tool executions, by tool and status (ok, error)',
      unit: '{execution}',
    }),
    toolDuration: seconds(METRIC.toolDuration, 'Duration of a tool execution'),
    activeAgents: meter.createUpDownCounter(METRIC.activeAgents, {
      description: 'Agents alive (running or idle)',
      unit: '{agent}',
    }),
    approvalWait: seconds(METRIC.approvalWait, 'How long a privileged tool call waited for its approval'),
  };
}

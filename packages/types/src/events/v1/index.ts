/**
 * Event contract v1 — the stream a run shows its host (`oxydra run --json`, the kernel's event
 * bus, the gateway's frame mapping), as zod schemas. A breaking change to an event (a field
 * renamed, removed or retyped) is a new folder v2 beside this one, as the Vercel AI SDK keeps its
 * provider specs; adding an optional field is a change of this folder that the `--json` snapshot
 * test shows in review.
 *
 * Casing: field names are camelCase; `type` values are snake_case.
 * Versioning on the wire: every `oxydra run --json` line carries `"v": 1` (see jsonLineSchema).
 */
import { z } from 'zod';
import { modelEventSchema } from './model-events.js';
import { lifecycleEventSchema, runEventSchema } from './run-events.js';

export * from './model-events.js';
export * from './run-events.js';

/** This folder's version (the current one is EVENT_CONTRACT_VERSION in stream.ts). */
export const EVENT_CONTRACT_V1 = 1;

/** Any event of a run: what a provider yields plus what the runtime and kernel add. */
export const streamEventSchema = z.union([modelEventSchema, runEventSchema]);

/** The version stamp every `--json` line carries. */
const stamp = { v: z.literal(EVENT_CONTRACT_V1) };
/** Sub-agent lines name the agent (the command's own agent's lines do not). */
const agent = { agentId: z.string(), parentAgentId: z.string().optional() };

/**
 * One line of `oxydra run --json`: a stream event of the command's agent, or a stream or
 * lifecycle event of a sub-agent carrying `agentId` (and `parentAgentId`), each with `v`.
 */
export const jsonLineSchema = z.union([
  ...streamEventSchema.options.flatMap((union) =>
    union.options.map((event) => z.union([event.extend(stamp), event.extend({ ...stamp, ...agent })])),
  ),
  ...lifecycleEventSchema.options.map((event) => event.extend({ ...stamp, ...agent })),
]);

export type JsonLine = z.infer<typeof jsonLineSchema>;

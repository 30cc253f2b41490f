/**
 * A spec run's stored record (the kernel's SpecRecord, camelCase) as the REST API answers it:
 * snake_case, mapped here once for GET /sessions/{id} (the record) and POST /runs (its directive).
 */
import type { Directive, SpecRecord } from '@oxydra/kernel/spec';
import { z } from 'zod';
import { criterionResultSchema } from './schemas.js';

const agentStatus = z.enum(['completed', 'failed', 'killed']);

export const directiveSchema = z
  .object({
    goal: z.string(),
    constraints: z.array(z.string()),
    criteria: z.array(
      z
        .object({
          id: z.string(),
          kind: z.string(),
          text: z.string(),
          non_empty: z.boolean().optional().describe('a `file:` criterion: the file must not be empty'),
        })
        .loose(),
    ),
  })
  .meta({ id: 'Directive' });

export const specRecordSchema = z
  .object({
    version: z.literal(1),
    directive: directiveSchema,
    attempts: z.array(
      z.object({
        attempt: z.number(),
        agent_id: z.string(),
        status: agentStatus.describe("how the attempt's agent run ended"),
        checkpoint_before: z
          .string()
          .nullable()
          .describe('the checkpoint taken just before the attempt (`oxydra checkpoints restore <id>`)'),
        results: z.array(criterionResultSchema),
        passed: z.boolean(),
        sub_agents: z
          .array(
            z.object({
              criterion_id: z.string(),
              agent_id: z.string(),
              name: z.string(),
              status: agentStatus,
            }),
          )
          .nullable()
          .describe("a split attempt's sub-agents: which criterion's work ran in which agent"),
      }),
    ),
    max_attempts: z.number(),
    state: z.enum(['running', 'passed', 'failed']),
  })
  .meta({ id: 'SpecRecord' });

export function directiveJson(directive: Directive): z.infer<typeof directiveSchema> {
  return {
    goal: directive.goal,
    constraints: directive.constraints,
    criteria: directive.criteria.map((criterion) => {
      const { nonEmpty, ...rest } = criterion as typeof criterion & { nonEmpty?: boolean };
      return nonEmpty === undefined ? rest : { ...rest, non_empty: nonEmpty };
    }),
  };
}

export function specRecordJson(record: SpecRecord): z.infer<typeof specRecordSchema> {
  return {
    version: record.version,
    directive: directiveJson(record.directive),
    attempts: record.attempts.map((attempt) => ({
      attempt: attempt.attempt,
      agent_id: attempt.agentId,
      status: attempt.status,
      checkpoint_before: attempt.checkpointBefore ?? null,
      results: attempt.results,
      passed: attempt.passed,
      sub_agents:
        attempt.subAgents?.map((sub) => ({
          criterion_id: sub.criterionId,
          agent_id: sub.agentId,
          name: sub.name,
          status: sub.status,
        })) ?? null,
    })),
    max_attempts: record.maxAttempts,
    state: record.state,
  };
}

/**
 * One agent run over the REST API, answered when it ends: a plain run, or with `spec` a spec run
 * through the kernel's spec runner (`@oxydra/kernel/spec`, the one `oxydra run --spec` uses):
 * the directive crystallized or taken as written, attempts retried with the failures, and the
 * answer carrying per-criterion results. The run holds one of its user's slots (the kernel's
 * per-user limit, refused at once when full, as A2A is), nobody answers approvals (a privileged
 * call under "ask" is denied), and a client that hangs up cancels it.
 */
import { Admission, type AgentResult, type Kernel, type SpawnSpec } from '@oxydra/kernel';
import { runSpecRequest, specRequestSchema } from '@oxydra/kernel/spec';
import { Cancelled } from '@oxydra/types';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { runHolder } from '../../auth.js';
import { DEFAULT_AGENT } from '../../types.js';
import { ApiError, route } from '../define.js';
import { specSummarySchema } from '../schemas.js';
import { directiveJson, directiveSchema } from '../spec-record.js';

const MAX_PROMPT_CHARS = 200_000;

const runBody = z.strictObject({
  prompt: z.string().min(1).max(MAX_PROMPT_CHARS),
  agent: z.string().min(1).max(100).optional().describe('an [agents.<name>] (GET /agents/configured)'),
  session_id: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe("the session to continue (the token's user's); default: a new one"),
  spec: specRequestSchema.optional(),
});

const runAnswer = z
  .object({
    status: z.enum(['completed', 'failed', 'cancelled']).describe("how the (last attempt's) agent run ended"),
    text: z.string().describe("the (last attempt's) answer"),
    agent_id: z.string().nullable(),
    session_id: z.string().nullable(),
    cost_usd: z
      .number()
      .nullable()
      .describe("every attempt and the spec run's own calls; null when a price was unknown"),
    error: z.string().nullable(),
    spec: specSummarySchema
      .extend({ directive: directiveSchema })
      .nullable()
      .describe(
        'a spec run: the directive and the per-criterion results; every attempt is in GET /sessions/{id}',
      ),
  })
  .meta({ id: 'RunAnswer' });

/** Aborted when the client goes away before its answer is sent. */
function hangUpController(reply: FastifyReply): AbortController {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableEnded) controller.abort(new Cancelled('the HTTP client went away'));
  });
  return controller;
}

function runJson(result: AgentResult | undefined) {
  return {
    status: result?.status ?? ('failed' as const),
    text: result?.text ?? '',
    agent_id: result?.agentId ?? null,
    session_id: result?.sessionId ?? null,
    error: result?.error?.message ?? null,
  };
}

async function answerRun(kernel: Kernel, body: z.infer<typeof runBody>, spawn: Omit<SpawnSpec, 'prompt'>) {
  if (body.spec === undefined) {
    const result = await kernel.agents.spawn({ ...spawn, prompt: body.prompt }).result;
    return { ...runJson(result), cost_usd: result.costUsd, spec: null };
  }
  const { outcome, summary, last } = await runSpecRequest(kernel, {
    prompt: body.prompt,
    spec: body.spec,
    spawn,
  });
  return {
    ...runJson(last),
    session_id: outcome.sessionId ?? null,
    cost_usd: outcome.costUsd,
    spec: { ...summary, directive: directiveJson(outcome.directive) },
  };
}

export function runRoutes() {
  return [
    route({
      method: 'post',
      path: '/runs',
      tag: 'runs',
      summary: 'Run an agent (plain or spec-first) and answer when it ends',
      description:
        'With `spec` the run is spec-first (docs/spec-runs.md): `spec: true` crystallizes goal, constraints and acceptance criteria from the prompt; `spec: {goal, constraints, acceptance_criteria, max_attempts}` gives them. A `test:` criterion runs a command without approval, so it is refused (400) unless `[tools] approval = "auto"`. The run holds one of the user\'s slots: 429 `turn_limit` when they are all busy.',
      body: runBody,
      response: runAnswer,
      handler: async ({ kernel, body, principal, reply }) => {
        const stop = hangUpController(reply);
        const { signal } = stop;
        const slot = await (await kernel.service('admission')).tryAcquire(runHolder(principal));
        if ('refusal' in slot) throw new ApiError(429, 'turn_limit', slot.refusal);
        // This process cut off from the deployment: the others report the run's claim interrupted.
        const unhook = Admission.stopOnCutOff(slot.release, (why) => stop.abort(why));
        try {
          return await answerRun(kernel, body, {
            ...(body.agent !== undefined && body.agent !== DEFAULT_AGENT ? { agent: body.agent } : {}),
            ...(principal.user !== undefined ? { userId: principal.user } : {}),
            ...(body.session_id !== undefined ? { sessionId: body.session_id } : {}),
            askApprovals: false,
            signal,
          });
        } finally {
          unhook();
          await slot.release();
        }
      },
    }),
  ];
}

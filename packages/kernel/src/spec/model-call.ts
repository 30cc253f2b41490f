/**
 * A spec run's own model calls (crystallizing a directive, judging a free-text criterion): a
 * kernel spawn with no tools that stores nothing, so it goes through the same provider, budget
 * and usage log as every other call. The answer must be one JSON object; the schema decides
 * whether it is usable, never the prose around it.
 */
import type { z } from 'zod';
import type { SpawnSpec } from '../types.js';
import type { SpecKernel } from './spec-kernel.js';

/** The spawn fields a spec run passes on to its model calls (agent, selection, limits, user). */
export type CallBase = Pick<SpawnSpec, 'agent' | 'selection' | 'limits' | 'userId' | 'parentId' | 'signal'>;

export interface ModelAnswer<T> {
  value: T | undefined;
  /** Why no value: the call failed or its answer did not match the schema. */
  problem?: string;
  /** The call's own failure, when it failed (its code tells a spent dollar limit from others). */
  error?: { code: string; message: string };
  costUsd: number | null;
}

/** The first {...} block of a text (models wrap JSON in fences or a sentence). */
function jsonObjectIn(text: string): unknown {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return undefined;
  try {
    return JSON.parse(text.slice(start, end + 1)) as unknown;
  } catch {
    return undefined;
  }
}

export async function askForJson<T>(
  kernel: SpecKernel,
  base: CallBase,
  systemPrompt: string,
  prompt: string,
  schema: z.ZodType<T>,
): Promise<ModelAnswer<T>> {
  let agent: ReturnType<SpecKernel['agents']['spawn']>;
  try {
    agent = kernel.agents.spawn({ ...base, prompt, systemPrompt, tools: [], persist: false });
  } catch (error) {
    // Refused before it ran (a dollar limit it cannot keep): no answer, which fails closed.
    const { code, message } = error as { code?: unknown; message: string };
    return {
      value: undefined,
      problem: message,
      ...(typeof code === 'string' ? { error: { code, message } } : {}),
      costUsd: 0,
    };
  }
  const result = await agent.result;
  if (result.status !== 'completed') {
    return {
      value: undefined,
      problem: result.error?.message ?? `the call ${result.status}`,
      ...(result.error ? { error: result.error } : {}),
      costUsd: result.costUsd,
    };
  }
  const parsed = schema.safeParse(jsonObjectIn(result.text));
  if (!parsed.success) {
    return {
      value: undefined,
      problem: 'the model did not answer with the JSON asked for',
      costUsd: result.costUsd,
    };
  }
  return { value: parsed.data, costUsd: result.costUsd };
}

/**
 * The keys of a llama_cpp provider entry (a GGUF file run in this process by node-llama-cpp):
 * spread into providers.toml's entry schema, apart so the agent schema stays one job.
 */
import { z } from 'zod';
import { once } from '../once.js';

const positiveInt = once(() => z.int().positive());

/** Keys only llama_cpp entries read: how the model file is loaded and run in this process. */
export const localModelKeys = once(() => ({
  context_size: positiveInt()
    .optional()
    .describe(
      "llama_cpp: context window in tokens (default: as large as memory allows, up to the model's own)",
    ),
  gpu_layers: z
    .int()
    .min(0)
    .optional()
    .describe('llama_cpp: layers offloaded to the GPU; 0 runs on the CPU only (default: as many as fit)'),
  threads: positiveInt().optional().describe("llama_cpp: CPU threads (default: the CPU's performance cores)"),
  tool_choice: z
    .enum(['auto', 'required'])
    .optional()
    .describe(
      'llama_cpp: "required" makes the first answer to each user message a call of one of the offered tools, constrained by a JSON-schema grammar (for small models that never call tools on their own); default "auto": the model decides',
    ),
}));

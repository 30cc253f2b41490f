#!/usr/bin/env node
// Plugin dispatch overhead per turn (issue 14's target: ≤ 1 ms beyond the providers' own work,
// ZoeyOS's "< 1 ms action processing"). Two kernels on the same zero-latency in-process model,
// memory and persistence off, each turn = one tool call + one answer:
//   baseline: the tool is a host-provided tool source (no plugins);
//   plugins:  the same no-op tool from a plugin, plus ten plugin context providers that answer at
//             once (their text goes to the model before both calls of the turn).
// Rounds interleave the two; the reported overhead is the difference of the medians per turn.
// Usage: node bench/plugins.mjs [--turns N] [--rounds R]   (prints one JSON object)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openKernel } from '@oxydra/kernel';
import { scriptedAdapters, scriptedProvider } from '@oxydra/testkit';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { summarize } from './stats.mjs';

const { values } = parseArgs({
  options: { turns: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '7' } },
});
const turns = Number(values.turns);
const rounds = Number(values.rounds);
const plugin = fileURLToPath(new URL('./fixtures/bench-plugin', import.meta.url));

// A tool call when the last message is the user's, the answer once the tool result is in.
const model = scriptedProvider((call) => {
  const last = call.context.messages.at(-1);
  return last?.role === 'tool'
    ? [
        { type: 'text_delta', text: 'ok' },
        { type: 'finish', reason: 'stop', rawReason: 'stop' },
      ]
    : [
        { type: 'tool_call_start', index: 0, id: 'c1', name: 'bench_tool' },
        { type: 'tool_call_end', index: 0, id: 'c1', name: 'bench_tool', arguments: {}, rawArguments: '{}' },
        { type: 'finish', reason: 'tool_calls', rawReason: 'tool_calls' },
      ];
});
const adapters = scriptedAdapters(model);
const hostTool = {
  name: 'bench_tool',
  description: 'does nothing',
  parameters: { type: 'object', properties: {} },
  safety: 'read_only',
  execute: async () => 'done',
};

const workspace = mkdtempSync(join(tmpdir(), 'oxydra-bench-plugins-'));
const env = { ...process.env, OPENAI_API_KEY: 'sk-bench-0123456789' };
const config = (withPlugin) =>
  agentConfigSchema.parse({
    selection: { provider: 'openai', model: 'gpt-4o-mini' },
    providers: { registry: { openai: { provider_type: 'openai' } } },
    memory: { enabled: false },
    checkpoints: { enabled: false },
    tools: { approval: 'auto' },
    ...(withPlugin ? { plugins: { load: { 'bench-plugin': { from: plugin } } } } : {}),
  });
const open = (withPlugin) =>
  openKernel({
    workspace,
    config: config(withPlugin),
    host: 'test',
    env,
    adapters,
    warn: () => {},
    ...(withPlugin ? {} : { toolSources: [{ name: 'host', tools: () => [hostTool] }] }),
  });

async function msPerTurn(kernel) {
  const start = performance.now();
  for (let i = 0; i < turns; i++) {
    const result = await kernel.agents.spawn({ prompt: 'go', persist: false }).result;
    if (result.status !== 'completed') throw new Error(`a bench turn failed: ${result.error?.message}`);
  }
  return (performance.now() - start) / turns;
}

const [base, plugged] = [await open(false), await open(true)];
// Warm both (JIT), then interleave.
await msPerTurn(base);
await msPerTurn(plugged);
const baseline = [];
const withPlugins = [];
for (let r = 0; r < rounds; r++) {
  baseline.push(await msPerTurn(base));
  withPlugins.push(await msPerTurn(plugged));
}
await base.close();
await plugged.close();
rmSync(workspace, { recursive: true, force: true });
const b = summarize(baseline);
const p = summarize(withPlugins);
const round = (x) => Math.round(x * 1000) / 1000;
process.stdout.write(
  `${JSON.stringify(
    {
      bench: 'plugins',
      node: process.version,
      turns_per_round: turns,
      rounds,
      baseline_ms_per_turn: b,
      plugins_ms_per_turn: p,
      overhead_ms_per_turn: round(p.median_ms - b.median_ms),
      target_overhead_ms: 1,
      note: 'a turn is two model calls and one tool call; providers run before each model call',
    },
    null,
    2,
  )}\n`,
);

#!/usr/bin/env node
// Progressive disclosure of skills (issue 15): only names and descriptions go into the system
// prompt, so the first model request grows by those lines and nothing else, however long the
// skills' bodies. Three kernels on the testkit's mock OpenAI server (the real wire, the recorded
// request body): [skills] off, the default (the bundled skills only), and 20 installed skills
// whose bodies are ~3 KB each. Also: what looking for new skills costs each assembly lookup
// (a stat of each tier folder), kernel.describe() with skills on against off.
// Usage: node bench/skills.mjs [--skills N] [--lookups N]   (prints one JSON object)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openKernel } from '@oxydra/kernel';
import { startMockLLM } from '@oxydra/testkit';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { summarize } from './stats.mjs';

const { values } = parseArgs({
  options: { skills: { type: 'string', default: '20' }, lookups: { type: 'string', default: '20000' } },
});
const count = Number(values.skills);
const lookups = Number(values.lookups);

const mock = await startMockLLM({
  api: 'openai-chat',
  scenario: [{ reply: { text: 'ok' }, times: 'always' }],
});
const root = mkdtempSync(join(tmpdir(), 'oxydra-bench-skills-'));

async function kernelIn(name, skills, options = {}) {
  const workspace = join(root, name);
  mkdirSync(workspace);
  for (const skill of skills) {
    const dir = join(workspace, '.oxydra', 'skills', skill.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'SKILL.md'),
      `---\nname: ${skill.name}\ndescription: ${skill.description}\n---\n${skill.body}`,
    );
    writeFileSync(join(dir, 'reference.md'), 'details loaded on demand\n'.repeat(100));
  }
  const kernel = await openKernel({
    workspace,
    config: agentConfigSchema.parse({
      selection: { provider: 'mock', model: 'gpt-4o-mini' },
      providers: {
        registry: { mock: { provider_type: 'openai', base_url: mock.url, api_key_env: 'MOCK_KEY' } },
      },
      memory: { enabled: false },
      checkpoints: { enabled: false },
      tools: { approval: 'auto', sandbox: { mode: 'none' } },
      ...(options.off ? { skills: { enabled: false } } : {}),
    }),
    host: 'test',
    // A user configuration folder of its own: no skill of the machine's user is counted.
    env: {
      MOCK_KEY: 'sk-bench-0123456789',
      HOME: root,
      XDG_CONFIG_HOME: join(root, 'config'),
      PATH: process.env.PATH,
    },
    warn: () => {},
  });
  return { kernel, workspace };
}

/** The first request's body in bytes, the workspace path replaced (it differs between kernels). */
async function firstRequestBytes({ kernel, workspace }) {
  mock.reset();
  const result = await kernel.agents.spawn({ prompt: 'hello', persist: false }).result;
  if (result.status !== 'completed') throw new Error(`the bench run failed: ${result.error?.message}`);
  const raw = mock.requests.find((request) => request.callIndex === 0).raw;
  return Buffer.byteLength(raw.replaceAll(workspace, '<workspace>'));
}

function lookupMicros(kernel) {
  const samples = [];
  for (let round = 0; round < 7; round++) {
    const start = performance.now();
    for (let i = 0; i < lookups; i++) kernel.describe();
    samples.push(((performance.now() - start) * 1000) / lookups);
  }
  return summarize(samples).median_ms; // microseconds per lookup (the helper's unit label aside)
}

const skills = Array.from({ length: count }, (_, i) => ({
  name: `bench-skill-${String(i).padStart(2, '0')}`,
  description: `Handles benchmark task ${i}: reads the inputs, checks them and writes a report. Use when asked for task ${i}.`,
  body: `# Task ${i}\n\n${`Step: an instruction the model reads only after loading the skill. `.repeat(48)}\n`,
}));

const off = await kernelIn('off', [], { off: true });
const bundled = await kernelIn('bundled', []);
const installed = await kernelIn('installed', skills);
const bytes = {
  skills_off: await firstRequestBytes(off),
  bundled_only: await firstRequestBytes(bundled),
  with_installed: await firstRequestBytes(installed),
};
// What the prompt should gain: one "\n- name: description" line per skill, as escaped in JSON.
const expected = skills.reduce(
  (sum, skill) => sum + Buffer.byteLength(JSON.stringify(`\n- ${skill.name}: ${skill.description}`)) - 2,
  0,
);
const bodies = skills.reduce((sum, skill) => sum + Buffer.byteLength(skill.body), 0);
const lookupOn = lookupMicros(bundled.kernel);
const lookupOff = lookupMicros(off.kernel);

for (const { kernel } of [off, bundled, installed]) await kernel.close();
await mock.close();
rmSync(root, { recursive: true, force: true });

const growth = bytes.with_installed - bytes.bundled_only;
process.stdout.write(
  `${JSON.stringify(
    {
      bench: 'skills',
      node: process.version,
      installed_skills: count,
      first_request_bytes: bytes,
      growth_bytes: growth,
      names_and_descriptions_bytes: expected,
      growth_equals_names_and_descriptions: growth === expected,
      bodies_bytes_not_sent: bodies,
      bundled_skills_cost_bytes: bytes.bundled_only - bytes.skills_off,
      assembly_lookup_us: {
        skills_on: lookupOn,
        skills_off: lookupOff,
        added: Math.round((lookupOn - lookupOff) * 1000) / 1000,
      },
      note: 'bytes of the recorded JSON request body; bundled_skills_cost_bytes is the skill_load tool and the three bundled lines',
    },
    null,
    2,
  )}\n`,
);

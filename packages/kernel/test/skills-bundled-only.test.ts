/**
 * With no skill folder anywhere, only the bundled skills: what the model sees of them (the
 * system prompt's lines and skill_load's definition) is pinned here, and must equal what a kernel
 * that read its skill folders (one exists, empty) sends, byte for byte. Loading one still works
 * (the catalog is built at that first call).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentConfigInput } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, KEY, testKernel } from './helpers.js';
import { tempFolders } from './temp-folders.js';

afterEach(closeAll);

const { folder } = tempFolders('oxydra-bundled-only-');

type Body = {
  messages: { role: string; content: string }[];
  tools?: { function: { name: string } }[];
};
const systemOf = (body: unknown) => (body as Body).messages.find((m) => m.role === 'system')?.content ?? '';
const lastToolResult = (body: unknown) =>
  (body as Body).messages.filter((m) => m.role === 'tool').at(-1)?.content ?? '';

async function kernelWithHome(
  steps: Parameters<typeof testKernel>[0],
  userSkillsFolder: boolean,
  config: AgentConfigInput = {},
) {
  const home = folder();
  if (userSkillsFolder) mkdirSync(join(home, 'oxydra', 'skills'), { recursive: true });
  const env = { MOCK_KEY: KEY, HOME: home, XDG_CONFIG_HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' };
  return testKernel(steps, config, { env });
}

const BUNDLED_LINES = [
  '- code-review: Review a change (uncommitted work, a branch, a commit, files) for bugs, security and missing tests; findings by severity.',
  '- debugging: Find and fix the root cause of a bug, failing test or crash, and prove the fix with a test.',
  '- release-notes: Write release notes or a CHANGELOG entry from the git history between two versions.',
].join('\n');

describe('the bundled skills alone', () => {
  it('reach the model exactly as a kernel that read its skill folders sends them', async () => {
    const steps = [{ reply: { text: 'ok' }, times: 'always' as const }];
    const bare = await kernelWithHome(steps, false);
    const read = await kernelWithHome(steps, true);
    await bare.kernel.agents.spawn({ prompt: 'hi' }).result;
    await read.kernel.agents.spawn({ prompt: 'hi' }).result;
    const body = bare.mock.requests[0]!.body as Body;
    expect(systemOf(body)).toContain(`\n${BUNDLED_LINES}`);
    const skillLoad = body.tools?.find((tool) => tool.function.name === 'skill_load');
    expect(JSON.stringify(skillLoad)).toBe(
      '{"type":"function","function":{"name":"skill_load","description":"Load a listed skill\'s instructions and file list, or one of its files.","parameters":{"type":"object","properties":{"name":{"type":"string","minLength":1},"file":{"type":"string","minLength":1},"offset":{"type":"integer","minimum":1},"arguments":{"description":"for instructions taking $ARGUMENTS","type":"string"}},"required":["name"]}}}',
    );
    const raw = (test: typeof bare) => test.mock.requests[0]!.raw.replaceAll(test.workspace, '<workspace>');
    expect(raw(bare)).toBe(raw(read));
  });

  it.each([
    ['one disabled', ['debugging']],
    ['all disabled', ['code-review', 'debugging', 'release-notes']],
  ])(
    'leave out what [skills] disabled names, as a kernel that read its folders does (%s)',
    async (_, disabled) => {
      const steps = [{ reply: { text: 'ok' }, times: 'always' as const }];
      const config = { skills: { disabled } };
      const bare = await kernelWithHome(steps, false, config);
      const read = await kernelWithHome(steps, true, config);
      await bare.kernel.agents.spawn({ prompt: 'hi' }).result;
      await read.kernel.agents.spawn({ prompt: 'hi' }).result;
      const raw = (test: typeof bare) => test.mock.requests[0]!.raw.replaceAll(test.workspace, '<workspace>');
      expect(raw(bare)).not.toContain('- debugging:');
      expect(raw(bare)).toBe(raw(read));
    },
  );

  it('loads a bundled skill at the model’s first skill_load', async () => {
    const { kernel, mock } = await kernelWithHome(
      [
        { reply: { toolCalls: [{ name: 'skill_load', arguments: { name: 'debugging' } }] } },
        { reply: { text: 'done' }, times: 'always' },
      ],
      false,
    );
    await kernel.agents.spawn({ prompt: 'fix it' }).result;
    const result = lastToolResult(mock.requests[1]!.body);
    expect(result).toContain('# Skill: debugging (bundled)');
    expect(result).toContain('Do not guess and patch.');
  });
});

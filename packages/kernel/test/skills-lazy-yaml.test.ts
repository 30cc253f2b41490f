/**
 * A kernel whose only skills are the bundled ones never loads the YAML parser nor the folder
 * and program readers (neither a short run nor an idle gateway pays for them). A skill installed later whose front matter needs the
 * parser makes the next refresh load it, and is offered from the first agent after that.
 * Its own file: the parser loads once per module graph.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import { FRESH_MS } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { skillReadersLoaded } from '../src/skills/discover.js';
import { yamlLoaded } from '../src/skills/front-matter.js';
import { closeAll, testKernel } from './helpers.js';

afterEach(closeAll);

describe('the YAML parser in a kernel', () => {
  it('is not loaded with only the bundled skills, and loads when an installed skill needs it', async () => {
    const { kernel, mock, workspace } = await testKernel([{ reply: { text: 'ok' }, times: 'always' }]);
    await kernel.agents.spawn({ prompt: 'hi' }).result;
    expect(JSON.stringify(mock.requests[0]!.body)).toContain('- code-review:');
    // Also past the interval within which the kernel trusts its last look at the skill folders.
    await new Promise((resolve) => setTimeout(resolve, FRESH_MS + 50));
    expect(yamlLoaded()).toBe(false);
    // Nor what reads skill folders and programs: there is no such folder.
    expect(skillReadersLoaded()).toBe(false);

    // Quoted values and a list: only the YAML parser reads this front matter.
    const folder = join(workspace, '.oxydra', 'skills', 'changelog-writer');
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, 'SKILL.md'),
      '---\nname: "changelog-writer"\ndescription: "Write release notes: from the git log"\ntags: [docs, git]\n---\nSteps.\n',
    );
    await kernel.agents.spawn({ prompt: 'hi' }).result;
    await pollUntil(yamlLoaded, 'the YAML parser to be loaded', { timeoutMs: 2000, intervalMs: 20 });
    await kernel.agents.spawn({ prompt: 'hi' }).result;
    expect(JSON.stringify(mock.requests.at(-1)!.body)).toContain(
      '- changelog-writer: Write release notes: from the git log',
    );
  });
});

/**
 * A kernel whose only skills are the bundled ones opens without loading the YAML parser (a
 * short run never pays for it) and loads it in the background soon after, so a long-lived
 * kernel has it before anyone installs a skill. Its own file: the parser loads once per module graph.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { yamlLoaded } from '../src/skills/front-matter.js';
import { closeAll, testKernel } from './helpers.js';

afterEach(closeAll);

describe('the YAML parser in a kernel', () => {
  it('a kernel with only the bundled skills opens without the parser and loads it a little later', async () => {
    const { kernel, mock } = await testKernel([{ reply: { text: 'ok' } }]);
    expect(yamlLoaded()).toBe(false);
    await kernel.agents.spawn({ prompt: 'hi' }).result;
    expect(JSON.stringify(mock.requests[0]!.body)).toContain('- code-review:');
    for (let i = 0; i < 100 && !yamlLoaded(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(yamlLoaded()).toBe(true);
  });
});

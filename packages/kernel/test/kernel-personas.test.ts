/**
 * Personas through a real kernel, asserted on the system message the mock model received: an
 * `[agents.x] persona` file, the active persona for the default agent (and the root `persona`
 * over it), a persona changed or activated while the kernel runs applies to the next spawn,
 * a delegated sub-agent without its own persona gets none, settings and secrets never reach the
 * model, an unknown persona is a ConfigError, and the kernel's persona changes are audited.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioStep } from '@oxydra/testkit';
import { ConfigError, FRESH_MS } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { personaStore } from '../src/personas/index.js';
import { closeAll, secondKernel, testKernel } from './helpers.js';

afterEach(closeAll);

const FIXTURES = fileURLToPath(new URL('./fixtures/characters/', import.meta.url));
const always = (text: string): ScenarioStep => ({ reply: { text }, times: 'always' });

/** The system message of the mock's `index`th request. */
function systemOf(mock: { requests: { body?: Record<string, unknown> }[] }, index: number): string {
  const messages = mock.requests[index]?.body?.messages as { role: string; content: string }[] | undefined;
  const system = messages?.find((m) => m.role === 'system');
  if (!system) throw new Error(`request ${index} has no system message`);
  return system.content;
}

describe('personas in the kernel', () => {
  it("an [agents.x] persona file shapes that agent's system prompt, after the opening line; others get none", async () => {
    const { kernel, mock } = await testKernel([always('Arr.')], {
      agents: { pirate: { persona: join(FIXTURES, 'pirate.toml') }, plain: {} },
    });
    expect((await kernel.agents.spawn({ prompt: 'review', agent: 'pirate' }).result).status).toBe(
      'completed',
    );
    const system = systemOf(mock, 0);
    expect(system).toMatch(
      /^You are Oxydra, an autonomous AI agent[^\n]*\n\nPersona: you speak and act as Captain Sally \(@sally\)\./,
    );
    expect(system).toContain('About Captain Sally:\n- A retired pirate captain who now reviews code.');
    expect(system).toContain('Captain Sally: Arr, it leaks like a sieve: ye never close the file.');
    expect(system).toContain('Rules:');
    expect(mock.requests[0]!.raw).not.toMatch(/CANARY/);

    await kernel.agents.spawn({ prompt: 'hi', agent: 'plain' }).result;
    await kernel.agents.spawn({ prompt: 'hi' }).result;
    expect(systemOf(mock, 1)).not.toContain('Persona:');
    expect(systemOf(mock, 2)).not.toContain('Persona:');
  });

  it('the active persona shapes the default agent; changes made while the kernel runs apply to the next spawn', async () => {
    const { kernel, mock, workspace } = await testKernel([always('Oh my.')]);
    await (await kernel.personas()).create('c3po', { from: join(FIXTURES, 'eliza-c3po.character.json') });
    await (await kernel.personas()).setActive('c3po');
    await kernel.agents.spawn({ prompt: 'help' }).result;
    const first = systemOf(mock, 0);
    expect(first).toContain('Persona: you speak and act as C-3PO.');
    expect(first).toContain('Respond as C-3PO, a fussy protocol droid');
    expect(first).toContain('User: Can you help me with this task?');
    // Neither settings nor secrets, nor the file references of knowledge, reach the model.
    expect(mock.requests[0]!.raw).not.toMatch(/CANARY|secrets|en_GB-alan|galactic-customs/);

    // Through the kernel: the cached agent is dropped.
    await (await kernel.personas()).update('c3po', { set: { bio: ['Now a gardener droid.'] } });
    await kernel.agents.spawn({ prompt: 'help' }).result;
    expect(systemOf(mock, 1)).toContain('About C-3PO:\n- Now a gardener droid.');

    // By another process (the CLI while a gateway runs): noticed from the file.
    const cli = personaStore(workspace, { HOME: workspace });
    await cli.create('zoey', { from: join(FIXTURES, 'zoey-agent.json') });
    await cli.setActive('zoey');
    // The kernel looks at the files at most once a second (FRESH_MS, @oxydra/types).
    await pastFreshness();
    await kernel.agents.spawn({ prompt: 'help' }).result;
    expect(systemOf(mock, 2)).toContain('Persona: you speak and act as Zoey (@zoey_ai).');
    expect(systemOf(mock, 2)).not.toContain('C-3PO');
    await cli.update('zoey', { set: { topics: ['gardening'] } });
    await pastFreshness();
    await kernel.agents.spawn({ prompt: 'help' }).result;
    expect(systemOf(mock, 3)).toContain('Topics Zoey knows well: gardening.');
    expect(mock.requests[3]!.raw).not.toContain('CANARY');

    await (await kernel.personas()).setActive(undefined);
    await kernel.agents.spawn({ prompt: 'help' }).result;
    expect(systemOf(mock, 4)).not.toContain('Persona:');

    const entries = (await (await kernel.service('audit')).list())
      .filter((entry) => entry.action.type.startsWith('persona_'))
      .map((entry) => [entry.actor, entry.action.type, entry.resource]);
    expect(entries).toEqual([
      ['test', 'persona_create', 'persona:c3po'],
      ['test', 'persona_activate', 'persona:c3po'],
      ['test', 'persona_update', 'persona:c3po'],
      ['test', 'persona_activate', 'persona:'],
    ]);
  });

  it('a persona made active by another process applies without the store loaded at open, and at once to a kernel opened after', async () => {
    const first = await testKernel([always('Oh my.')], { memory: { enabled: false } });
    const { kernel, mock, workspace } = first;
    // No persona was named or active when it opened: its store is not loaded (the run path).
    const cli = personaStore(workspace, { HOME: workspace });
    await cli.create('c3po', { from: join(FIXTURES, 'eliza-c3po.character.json') });
    await cli.setActive('c3po');
    // The first spawn after starts the store's loading; a spawn after it has loaded speaks as C-3PO.
    for (let i = 0; i < 20 && !mock.requests.some((r) => r.raw.includes('Persona:')); i++) {
      await kernel.agents.spawn({ prompt: 'help' }).result;
    }
    expect(systemOf(mock, mock.requests.length - 1)).toContain('Persona: you speak and act as C-3PO.');

    // Active when a kernel opens: loaded before its first spawn.
    const second = await secondKernel(first);
    try {
      const before = mock.requests.length;
      await second.agents.spawn({ prompt: 'help' }).result;
      expect(systemOf(mock, before)).toContain('Persona: you speak and act as C-3PO.');
    } finally {
      await second.close();
    }
  });

  it("the root persona names the default agent's persona over the active one; a sub-agent without its own gets none", async () => {
    const { kernel, mock } = await testKernel(
      [
        {
          match: { callIndex: 0 },
          reply: {
            toolCalls: [{ name: 'delegate_to_agent', arguments: { agent: 'helper', task: 'HELPER-TASK' } }],
          },
        },
        { match: { lastMessageContains: 'HELPER-TASK' }, reply: { text: 'helped' } },
        { match: { lastToolResultContains: 'helped' }, reply: { text: 'done' } },
      ],
      { persona: 'pirate', agents: { helper: { description: 'helps' } } },
    );
    await (await kernel.personas()).create('pirate', { from: join(FIXTURES, 'pirate.toml') });
    await (await kernel.personas()).create('c3po', { from: join(FIXTURES, 'eliza-c3po.character.json') });
    await (await kernel.personas()).setActive('c3po');
    expect((await kernel.agents.spawn({ prompt: 'delegate it' }).result).text).toBe('done');
    expect(systemOf(mock, 0)).toContain('Persona: you speak and act as Captain Sally');
    expect(systemOf(mock, 0)).not.toContain('C-3PO');
    const helper = mock.requests.findIndex(
      (r) => r.raw.includes('HELPER-TASK') && !r.raw.includes('delegate it'),
    );
    expect(helper).toBeGreaterThan(0);
    expect(systemOf(mock, helper)).not.toContain('Persona:');
  });

  it('an unknown persona is a ConfigError naming the key and the known personas, before any model call', async () => {
    const { kernel, mock, workspace } = await testKernel([always('never')], {
      agents: { helper: { persona: 'pirat' }, broken: { persona: 'bad.json' } },
    });
    await (await kernel.personas()).create('pirate', { from: join(FIXTURES, 'pirate.toml') });
    let error: unknown;
    try {
      kernel.agents.spawn({ prompt: 'x', agent: 'helper' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /^agents\.helper\.persona = "pirat": no persona of that name \(did you mean "pirate"\?\) \(known: pirate\)/,
    );
    // A broken character file is one line naming it and the field.
    writeFileSync(join(workspace, 'bad.json'), '{"name": "B", "bio": [1]}');
    expect(() => kernel.describe({ agent: 'broken' })).toThrow(
      `agents.broken.persona: ${join(workspace, 'bad.json')}: bio[0] must be a string`,
    );
    expect(mock.requests).toHaveLength(0);
  });
});

/** Waits out the interval within which a resolved persona is reused. */
function pastFreshness(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, FRESH_MS + 50));
}

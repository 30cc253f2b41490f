/**
 * Personas through the real binary: `oxydra persona create` (from a character file and from
 * flags), `list`, `use`, `show`, `update`, `delete`; then `oxydra run`, whose request to the
 * mock model carries the active persona in its system message (and an `[agents.x] persona`
 * for that agent), never the character's secrets; every change is in the audit chain; a bad
 * name or an unknown persona is one line and exit 2.
 */
import { join } from 'node:path';
import { kernelFixtures } from '@oxydra/kernel/testing/fixture-paths';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { auditEntries } from './helpers.js';

const CHARACTERS = kernelFixtures('characters');

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** The system message of the mock's `index`th request (OpenAI chat wire). */
function systemOf(target: AgentEnv, index: number): string {
  const messages = target.mock.requests[index]?.body?.messages as
    | { role: string; content: string }[]
    | undefined;
  return messages?.find((m) => m.role === 'system')?.content ?? '';
}

describe('oxydra persona', () => {
  it('create, list, use, show; a run speaks as the active persona; an agent as its own', async () => {
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [{ reply: { text: 'Arr, all shipshape.' }, times: 'always' }],
      '\n[agents.reviewer]\npersona = "ada"\n',
    );
    const created = env.sandbox.run('persona', 'create', 'pirate', '--from', join(CHARACTERS, 'pirate.toml'));
    expect(created.status).toBe(0);
    expect(created.stdout).toContain('created persona pirate (Captain Sally)');
    const eliza = env.sandbox.run(
      'persona',
      'create',
      'c3po',
      '--from',
      join(CHARACTERS, 'eliza-c3po.character.json'),
    );
    expect(eliza.status).toBe(0);
    expect(eliza.stderr).toContain('note: knowledge[1] is not text (a file or folder reference?): left out');
    const flags = env.sandbox.run(
      'persona',
      'create',
      'ada',
      '--bio',
      'Writes careful code.',
      '--topic',
      'testing',
    );
    expect(flags.status).toBe(0);

    expect(env.sandbox.run('persona', 'use', 'pirate').status).toBe(0);
    const list = env.sandbox.run('persona', 'list', '--json');
    expect(JSON.parse(list.stdout).map((p: { name: string; active: boolean }) => [p.name, p.active])).toEqual(
      [
        ['ada', false],
        ['c3po', false],
        ['pirate', true],
      ],
    );
    expect(env.sandbox.run('persona', 'list').stdout).toMatch(/^\* pirate +workspace +Captain Sally$/m);

    const show = env.sandbox.run('persona', 'show', 'pirate');
    expect(show.status).toBe(0);
    expect(show.stdout).toContain(
      'In the system prompt:\n\nPersona: you speak and act as Captain Sally (@sally).',
    );
    const shown = JSON.parse(env.sandbox.run('persona', 'show', 'pirate', '--json').stdout);
    expect(shown).toMatchObject({ name: 'pirate', active: true, format: 'toml' });
    expect(JSON.stringify(shown)).not.toContain('CANARY');

    const run = await env.run(['run', 'is my code fine?']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Arr, all shipshape.');
    const system = systemOf(env, 0);
    // A persona file of the workspace's .oxydra/personas/ comes marked as the workspace's words.
    expect(system).toMatch(
      /^You are Oxydra[^\n]*\n\n<workspace_text source="the workspace file \.oxydra\/personas\/pirate\.toml">\n[^\n]*\nPersona: you speak and act as Captain Sally \(@sally\)\./,
    );
    expect(system).toContain('Captain Sally is salty, blunt, kind-hearted.');
    expect(env.requestText(0)).not.toContain('CANARY');

    const reviewer = await env.run(['run', '--agent', 'reviewer', 'review it']);
    expect(reviewer.status).toBe(0);
    expect(systemOf(env, 1)).toContain('Persona: you speak and act as ada.');
    expect(systemOf(env, 1)).toContain('About ada:\n- Writes careful code.');
    expect(systemOf(env, 1)).not.toContain('Captain Sally');

    // Switched and edited while nothing runs; the next run follows.
    expect(env.sandbox.run('persona', 'use', 'c3po').status).toBe(0);
    expect(env.sandbox.run('persona', 'update', 'c3po', '--adjective', 'golden').status).toBe(0);
    await env.run(['run', 'hello']);
    expect(systemOf(env, 2)).toContain('Persona: you speak and act as C-3PO.');
    expect(systemOf(env, 2)).toContain('C-3PO is golden.');
    expect(env.requestText(2)).not.toMatch(/CANARY|en_GB-alan/);

    expect(env.sandbox.run('persona', 'use', '--none').status).toBe(0);
    await env.run(['run', 'hello']);
    expect(systemOf(env, 3)).not.toContain('Persona:');

    const deleted = env.sandbox.run('persona', 'delete', 'pirate');
    expect(deleted.status).toBe(0);
    expect(env.sandbox.run('persona', 'list').stdout).not.toContain('pirate');

    const audited = auditEntries(env.workspace).filter((entry) => entry.type.startsWith('persona_'));
    expect(audited.map((entry) => [entry.actor, entry.type, entry.resource])).toEqual([
      ['cli', 'persona_create', 'persona:pirate'],
      ['cli', 'persona_create', 'persona:c3po'],
      ['cli', 'persona_create', 'persona:ada'],
      ['cli', 'persona_activate', 'persona:pirate'],
      ['cli', 'persona_activate', 'persona:c3po'],
      ['cli', 'persona_update', 'persona:c3po'],
      ['cli', 'persona_activate', 'persona:'],
      ['cli', 'persona_delete', 'persona:pirate'],
    ]);
  }, 60_000);

  it('a bad name, a missing persona or an unknown configured one: one line, exit 2, no model call', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'never' } }]);
    const bad = env.sandbox.run('persona', 'create', '../escape', '--bio', 'x');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('error: "../escape" is not a persona name');
    const missing = env.sandbox.run('persona', 'show', 'nobody');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('error: no persona "nobody"');
    const both = env.sandbox.run('persona', 'use', 'x', '--none');
    expect(both.status).toBe(2);
    expect(
      env.sandbox.run('persona', 'create', 'pirate', '--from', join(CHARACTERS, 'pirate.toml')).status,
    ).toBe(0);
    // The root key, here as a flag (`persona = "..."` at the top of agent.toml does the same).
    const run = await env.run(['run', '--set', 'persona=piratee', 'hello']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      'error: persona = "piratee": no persona of that name (did you mean "pirate"?)',
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(env.mock.requests).toHaveLength(0);
  }, 60_000);
});

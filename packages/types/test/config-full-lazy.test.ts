/**
 * `oxydra/kernel` exports `agentConfigSchema`, so a program importing the library imports
 * `@oxydra/types/config-full`: its import must build no section schema (neither the core ones
 * nor `[scheduler]` and `[channels]`), only the object itself; the first parse (or `.shape`
 * read) builds them. Counted on zod's object factories, the only way a section is made.
 */
import { describe, expect, it, vi } from 'vitest';

const made = vi.hoisted(() => ({ objects: 0 }));

vi.mock('zod', async (importOriginal) => {
  const zod = await importOriginal<typeof import('zod')>();
  const counted = <F extends (...args: never[]) => unknown>(make: F): F =>
    ((...args: Parameters<F>) => {
      made.objects++;
      return make(...args);
    }) as F;
  const z = { ...zod.z, object: counted(zod.z.object), strictObject: counted(zod.z.strictObject) };
  return { ...zod, z };
});

describe('importing the full configuration schema', () => {
  it('builds no section until the first parse, which builds them all once', async () => {
    // Test files may share a module graph: evaluate the schema modules afresh.
    vi.resetModules();
    const { agentConfigSchema } = await import('../src/config-full.js');
    const { AGENT_CONFIG_SECTIONS } = await import('../src/config/agent-schema.js');
    // The full schema's own object, and nothing else.
    expect(made.objects).toBe(1);

    const parsed = agentConfigSchema.parse({
      providers: { registry: { openai: { provider_type: 'openai' } } },
      channels: { telegram: { enabled: true, bot_token_env: 'TELEGRAM_BOT_TOKEN' } },
    });
    expect(parsed.channels.telegram.enabled).toBe(true);
    expect(parsed.scheduler.enabled).toBe(false);
    expect(Object.keys(agentConfigSchema.shape)).toEqual(AGENT_CONFIG_SECTIONS);
    const built = made.objects;
    expect(built).toBeGreaterThan(20);

    // Built once: later parses and `.shape` reads make nothing.
    expect(agentConfigSchema.safeParse({ scheduler: { notify: 'nowhere:1' } }).success).toBe(false);
    expect(Object.keys(agentConfigSchema.shape.channels.unwrap().shape)).toEqual([
      'telegram',
      'slack',
      'discord',
      'email',
      'plugin',
    ]);
    expect(made.objects).toBe(built);
  });
});

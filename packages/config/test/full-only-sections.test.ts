/**
 * `[scheduler]` and `[channels]` are parsed with their full schema only when the configuration
 * names them (else their values come from ABSENT_SECTION_DEFAULTS): either way the loaded
 * configuration and every error must be what the full schema gives.
 */
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../src/index.js';
import { makeSandbox, type Sandbox } from './helpers.js';

let sandbox: Sandbox;
afterEach(() => sandbox?.cleanup());

async function loadWith(env: Record<string, string>) {
  sandbox = makeSandbox(env);
  return loadAgentConfig({ cwd: sandbox.workspace, env: sandbox.env });
}

describe('the sections only some commands read', () => {
  it('are what the full schema makes of them when no file names them, keys in its order', async () => {
    const { config } = await loadWith({ OXYDRA__RUNTIME__MAX_TURNS: '12' });
    const full = agentConfigSchema.parse({
      providers: { registry: config.providers.registry },
      runtime: { max_turns: 12 },
    });
    expect(JSON.stringify(config)).toBe(JSON.stringify(full));
  });

  it('take an override naming them, read against their schema', async () => {
    const { config } = await loadWith({
      OXYDRA__SCHEDULER__MAX_TURNS: '4',
      OXYDRA__CHANNELS__TELEGRAM__MAX_CONCURRENT_TURNS: '3',
    });
    expect(config.scheduler.max_turns).toBe(4);
    expect(config.channels.telegram.max_concurrent_turns).toBe(3);
    await expect(loadWith({ OXYDRA__SCHEDULER__MAX_TURNS: 'many' })).rejects.toThrow(
      'environment variable OXYDRA__SCHEDULER__MAX_TURNS: scheduler.max_turns = "many" is not a number',
    );
  });

  it('are among the suggestions for a misspelt section', async () => {
    await expect(loadWith({ OXYDRA__CHANELS__X: '1' })).rejects.toThrow(
      'environment variable OXYDRA__CHANELS__X: unknown key "chanels" in (top level) (did you mean "channels"?)',
    );
  });

  it("report a core section's error exactly as the full schema does", async () => {
    await expect(loadWith({ OXYDRA__RUNTIME__MAX_TURNS: '0' })).rejects.toThrow(
      'environment variable OXYDRA__RUNTIME__MAX_TURNS: runtime.max_turns = 0 is out of range: must be > 0',
    );
  });
});

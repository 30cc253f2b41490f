import { describe, expect, it } from 'vitest';
import {
  ABSENT_SECTION_DEFAULTS,
  absentSectionValueAt,
  withAbsentSections,
} from '../src/config/absent-sections.js';
import { agentConfigSchema } from '../src/config/agent-full-schema.js';
import { AGENT_CONFIG_SECTIONS, agentCoreConfigSchema } from '../src/config/agent-schema.js';

const registry = { providers: { registry: { openai: { provider_type: 'openai' } } } };

describe('the sections a configuration may leave out', () => {
  it('hold what the full schema makes of absent [scheduler] and [channels], key for key and in order', () => {
    const full = agentConfigSchema.parse(registry);
    expect(JSON.stringify({ scheduler: full.scheduler, channels: full.channels })).toBe(
      JSON.stringify(ABSENT_SECTION_DEFAULTS),
    );
  });

  it('make a core parse equal to the full one, with the keys in the full schema order', () => {
    const values = { ...registry, runtime: { max_turns: 7 }, persona: 'terse' };
    const filled = withAbsentSections(agentCoreConfigSchema.parse(values));
    expect(JSON.stringify(filled)).toBe(JSON.stringify(agentConfigSchema.parse(values)));
    expect(Object.keys(filled)).toEqual(AGENT_CONFIG_SECTIONS);
  });

  it('give each caller its own copy', () => {
    const first = withAbsentSections(agentCoreConfigSchema.parse(registry));
    first.channels.telegram.senders.push({ id: '1' } as never);
    expect(withAbsentSections(agentCoreConfigSchema.parse(registry)).channels.telegram.senders).toEqual([]);
  });

  it('answer a key path inside an absent section, and nothing outside them', () => {
    expect(absentSectionValueAt(['scheduler', 'max_turns'])).toBe(10);
    expect(absentSectionValueAt(['channels', 'email', 'imap'])).toEqual({ port: 993, tls: 'implicit' });
    expect(absentSectionValueAt(['scheduler', 'default_timezone'])).toBeUndefined();
    expect(absentSectionValueAt(['runtime', 'max_turns'])).toBeUndefined();
    expect(absentSectionValueAt([])).toBeUndefined();
  });
});

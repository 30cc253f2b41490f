import { describe, expect, it } from 'vitest';
import {
  ABSENT_SECTION_DEFAULTS,
  absentSectionValueAt,
  parseCoreSections,
} from '../src/config/absent-sections.js';
import { agentConfigSchema, sectionDefaultsFromSchema } from '../src/config/agent-full-schema.js';
import { AGENT_CONFIG_SECTIONS } from '../src/config/agent-schema.js';
import { SECTION_DEFAULTS } from '../src/config/section-defaults.js';

const registry = { providers: { registry: { openai: { provider_type: 'openai' } } } };

describe('the sections a configuration may leave out', () => {
  it('hold what the full schema makes of each absent section, key for key and in order (else: npm run config:defaults)', () => {
    expect(JSON.stringify(SECTION_DEFAULTS)).toBe(JSON.stringify(sectionDefaultsFromSchema()));
    const full = agentConfigSchema.parse(registry);
    expect(JSON.stringify({ scheduler: full.scheduler, channels: full.channels })).toBe(
      JSON.stringify(ABSENT_SECTION_DEFAULTS),
    );
  });

  it('make a section-by-section parse equal to the full one, with the keys in the full schema order', () => {
    const values = {
      ...registry,
      runtime: { max_turns: 7 },
      tools: { sandbox: { network: 'allowlist', allow_hosts: ['example.com'] } },
      persona: 'terse',
    };
    const parsed = parseCoreSections(values);
    expect(JSON.stringify(parsed)).toBe(JSON.stringify(agentConfigSchema.parse(values)));
    expect(Object.keys(parsed!)).toEqual(AGENT_CONFIG_SECTIONS);
  });

  it('leave to the full schema a full-only section, an unknown key, a rejected section and a failed check across sections', () => {
    expect(parseCoreSections({ ...registry, scheduler: { enabled: true } })).toBeUndefined();
    expect(parseCoreSections({ ...registry, runtmie: {} })).toBeUndefined();
    expect(parseCoreSections({ ...registry, runtime: { max_turns: 0 } })).toBeUndefined();
    expect(parseCoreSections({ ...registry, selection: { provider: 'nowhere' } })).toBeUndefined();
    expect(parseCoreSections({ ...registry, reliability: { backoff_base_ms: 5000 } })).toBeUndefined();
  });

  it('give each caller its own copy', () => {
    const first = parseCoreSections(registry)!;
    first.channels.telegram.senders.push({ id: '1' } as never);
    first.tools.shell.allow.push('rm');
    const second = parseCoreSections(registry)!;
    expect(second.channels.telegram.senders).toEqual([]);
    expect(second.tools.shell.allow).toEqual(['*']);
  });

  it('answer a key path inside an absent section, and nothing outside them', () => {
    expect(absentSectionValueAt(['scheduler', 'max_turns'])).toBe(10);
    expect(absentSectionValueAt(['channels', 'email', 'imap'])).toEqual({ port: 993, tls: 'implicit' });
    expect(absentSectionValueAt(['scheduler', 'default_timezone'])).toBeUndefined();
    expect(absentSectionValueAt(['runtime', 'max_turns'])).toBeUndefined();
    expect(absentSectionValueAt([])).toBeUndefined();
  });
});

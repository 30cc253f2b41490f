/**
 * The sections a configuration leaves out. The loader parses each section a configuration names
 * with that section's schema alone and fills the others from their defaults (section-defaults.ts,
 * generated from the schema), so it builds only the schemas of the sections it reads: a plain
 * `oxydra gateway` names two or three, and building all of them was ~25 ms of its start.
 * packages/types/test/absent-sections.test.ts holds the defaults equal to what the full schema
 * (agent-full-schema.ts) makes of an absent section, and a parse this way equal to the full
 * schema's.
 */
import type { AgentConfig } from './agent-full-schema.js';
import { AGENT_CONFIG_SECTIONS, CORE_SECTION_SCHEMAS, passesCoreChecks } from './agent-schema.js';
import { SECTION_DEFAULTS } from './section-defaults.js';

type AbsentSections = Pick<AgentConfig, 'scheduler' | 'channels'>;

/** The values of `[scheduler]` and `[channels]`, the full-only sections, when a configuration does not name them. */
export const ABSENT_SECTION_DEFAULTS: AbsentSections = {
  scheduler: SECTION_DEFAULTS.scheduler,
  channels: SECTION_DEFAULTS.channels,
};

/**
 * The configuration `values` make when they name only core sections (no `[scheduler]`, no
 * `[channels]`), each parsed by its own schema, the absent ones at their defaults (each caller's
 * own copy), the keys in the full schema's order. Undefined when a key is not a core section,
 * a section is rejected or a check across sections fails: the caller parses again with the full
 * schema, whose errors are the ones reported.
 */
export function parseCoreSections(values: Readonly<Record<string, unknown>>): AgentConfig | undefined {
  const parsed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    const schema = Object.hasOwn(CORE_SECTION_SCHEMAS, key) ? CORE_SECTION_SCHEMAS[key] : undefined;
    if (schema === undefined) return undefined;
    const result = schema().safeParse(value);
    if (!result.success) return undefined;
    parsed[key] = result.data;
  }
  const defaults: Record<string, unknown> = SECTION_DEFAULTS;
  const config: Record<string, unknown> = {};
  for (const key of AGENT_CONFIG_SECTIONS) {
    if (Object.hasOwn(parsed, key)) config[key] = parsed[key];
    else if (Object.hasOwn(defaults, key)) config[key] = structuredClone(defaults[key]);
  }
  return passesCoreChecks(config) ? (config as AgentConfig) : undefined;
}

/** The value an absent full-only section has at a key path (undefined elsewhere). */
export function absentSectionValueAt(path: readonly string[]): unknown {
  let current: unknown = ABSENT_SECTION_DEFAULTS;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current === ABSENT_SECTION_DEFAULTS ? undefined : structuredClone(current);
}

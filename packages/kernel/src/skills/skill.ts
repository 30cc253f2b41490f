/**
 * What a skill is once its SKILL.md is read: the Agent Skills format (agentskills.io) — `name`,
 * `description`, optional `license`, `compatibility`, `metadata`, `allowed-tools` — plus the
 * arguments other tools declare (Claude Code's `argument-hint`, Oxios's `args`). Keys this file
 * does not know are ignored: every tool adds its own (`version`, `disable-model-invocation`, ...).
 */
import { join } from 'node:path';
import { type Provenance, sourceOf } from '@oxydra/types';
import { z } from 'zod';
import { splitFrontMatter } from './front-matter.js';

/** Where a skill was found, highest precedence first. */
export const SKILL_TIERS = ['workspace', 'user', 'dirs', 'program', 'bundled'] as const;
export type SkillTier = (typeof SKILL_TIERS)[number];

/** Lowercase letters, digits and hyphens, at most 64 characters (the format's rule). */
export const SKILL_NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
/** The format's limit, also what one skill may put in a system prompt. */
export const MAX_DESCRIPTION = 1024;

interface SkillArgument {
  name: string;
  description?: string;
  required?: boolean;
}

interface SkillProgram {
  name: string;
  version: string;
  /** Oxydra tools the program's skill needs: an agent without all of them is not offered it. */
  requiresTools: string[];
}

export interface Skill {
  name: string;
  description: string;
  tier: SkillTier;
  /** The folder holding SKILL.md; absent for bundled skills (their text is compiled in). */
  dir?: string;
  /** What the tier entry was called, for messages (a folder path or `bundled:<name>`). */
  origin: string;
  license?: string;
  compatibility?: string;
  /** As the skill wrote them (other tools' names, e.g. `Read`, `Bash(git:*)`). */
  allowedTools: string[];
  argumentHint?: string;
  arguments: SkillArgument[];
  program?: SkillProgram;
}

const metaSchema = z.looseObject({
  name: z.string().optional(),
  description: z.string().optional(),
  license: z.string().optional(),
  compatibility: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  'allowed-tools': z.union([z.string(), z.array(z.string())]).optional(),
});

const argumentSchema = z.union([
  z.string(),
  z.looseObject({
    name: z.string().optional(),
    description: z.string().optional(),
    required: z.boolean().optional(),
  }),
]);
const argumentsSchema = z.union([z.array(argumentSchema), z.record(z.string(), argumentSchema)]);

export interface ParsedSkill {
  skill: Omit<Skill, 'tier' | 'dir' | 'origin' | 'program'>;
  body: string;
}

/**
 * Parses a SKILL.md. `fallbackName` (the folder's name) stands in for a missing `name`, and the
 * body's first paragraph for a missing `description`, as Claude Code does. Throws an Error whose
 * message completes "skipped <file>: ...".
 */
export function parseSkill(text: string, fallbackName: string): ParsedSkill {
  const { data, body } = splitFrontMatter(text);
  const parsed = metaSchema.safeParse(data ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`front matter "${issue.path.join('.')}": ${issue.message}`);
  }
  const meta = parsed.data;
  const name = (meta.name ?? fallbackName).trim();
  if (!SKILL_NAME.test(name)) {
    throw new Error(
      `name "${name.slice(0, 80)}" is not a skill name (lowercase letters, digits and hyphens, at most 64)`,
    );
  }
  const description = (meta.description ?? firstParagraph(body)).replace(/\s+/g, ' ').trim();
  if (description === '') throw new Error('it has no description (front matter "description")');
  const skill: ParsedSkill['skill'] = {
    name,
    description,
    allowedTools: toolList(meta['allowed-tools']),
    arguments: argumentList(data?.args ?? data?.arguments),
  };
  if (meta.license !== undefined) skill.license = meta.license;
  if (meta.compatibility !== undefined) skill.compatibility = meta.compatibility;
  const hint = data?.['argument-hint'];
  if (typeof hint === 'string' && hint.trim() !== '') skill.argumentHint = hint.trim();
  else if (Array.isArray(hint)) skill.argumentHint = hint.map(String).join(' ');
  return { skill, body };
}

/** "Read, Grep, Bash(git:*)" or "Read Grep" or a YAML list: each tool once, in order. */
function toolList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : (value.match(/[^\s,()]+(?:\([^)]*\))?/g) ?? []);
  return [...new Set(items.map((item) => item.trim()).filter((item) => item !== ''))];
}

function argumentList(value: unknown): SkillArgument[] {
  const parsed = argumentsSchema.safeParse(value);
  if (!parsed.success) return [];
  const entries = Array.isArray(parsed.data)
    ? parsed.data.map((item) => [typeof item === 'string' ? item : (item.name ?? ''), item] as const)
    : Object.entries(parsed.data);
  return entries
    .filter(([name]) => name !== '')
    .map(([name, item]) => {
      const argument: SkillArgument = { name };
      if (typeof item === 'string') {
        if (item !== name) argument.description = item;
      } else {
        if (item.description !== undefined) argument.description = item.description;
        if (item.required !== undefined) argument.required = item.required;
      }
      return argument;
    });
}

function firstParagraph(body: string): string {
  for (const block of body.split(/\r?\n\s*\r?\n/)) {
    const text = block
      .split(/\r?\n/)
      .filter((line) => !line.trimStart().startsWith('#'))
      .join(' ')
      .trim();
    if (text !== '') return text.slice(0, MAX_DESCRIPTION);
  }
  return '';
}

/** A description as it goes into a system prompt: one line, at most MAX_DESCRIPTION characters. */
export function promptDescription(description: string): string {
  const line = description.replace(/\s+/g, ' ').trim();
  return line.length <= MAX_DESCRIPTION ? line : `${line.slice(0, MAX_DESCRIPTION - 1)}…`;
}

/**
 * A skill of the workspace's folder or of a `[skills] dirs` folder is a file someone else may
 * have written (a cloned repository's), as README.md is: its text counts as a workspace file, so
 * `[taint] untrusted` with `workspace_file` gates what follows it as it does after file_read, and
 * the system prompt marks its description as the workspace's. `file`: one of its files (SKILL.md
 * by default); null: the folder holding the skill's folder (the prompt names that, once). The
 * user's own, a program's and the bundled skills are the user's or Oxydra's words: undefined.
 */
export function skillProvenance(skill: Skill, file?: string | null): Provenance | undefined {
  if ((skill.tier !== 'workspace' && skill.tier !== 'dirs') || skill.dir === undefined) return undefined;
  const path = file === null ? join(skill.dir, '..') : join(skill.dir, file ?? 'SKILL.md');
  return { kind: 'workspace_file', ...sourceOf(path) };
}

/**
 * skill_load: progressive disclosure. The system prompt names each skill in one line; when the
 * model decides a task fits one, it calls skill_load and gets the instructions (SKILL.md without
 * front matter) and the list of the skill's files, then reads a file with `file`. Skills live in
 * `.oxydra/` and the user's configuration folder, which the file tools and the sandbox hide
 * (they hold configuration and secrets), so this tool is the only way to them — and it reads
 * nothing but regular files inside the skill's own folder.
 */
import { defineTool } from '@oxydra/tools';
import { didYouMean, type Tool } from '@oxydra/types';
import { z } from 'zod';
import { missingTools, type SkillCatalog } from './catalog.js';
import { loadYaml } from './front-matter.js';
import { pageOf } from './paging.js';
import { formatBytes, MAX_RESOURCE_BYTES } from './safe-fs.js';
import type { Skill } from './skill.js';
import { skillBody, skillFiles, skillResource } from './skill-content.js';
import { oxydraToolName } from './tool-aliases.js';

export const SKILL_LOAD_TOOL = 'skill_load';

export interface SkillLoadOptions {
  catalog: SkillCatalog;
  /** The calling agent's tool names (to say which tools a skill names that it lacks). */
  toolsOf: (agentId: string | undefined) => ReadonlySet<string> | undefined;
}

/** The tool, or none when no skill may be offered (so an agent without skills is not told of one). */
export function skillTools(catalog: SkillCatalog | undefined, toolsOf: SkillLoadOptions['toolsOf']): Tool[] {
  if (!catalog || catalog.enabled().length === 0) return [];
  return [skillLoadTool({ catalog, toolsOf })];
}

// Not strict: unknown arguments are dropped, as for every tool (a strict schema costs every call
// `additionalProperties: false` in the definition).
const parameters = z.object({
  name: z.string().min(1),
  file: z.string().min(1).optional(),
  // A long text's page ends with the call that reads on, offset included.
  offset: z.number().int().min(1).optional(),
  arguments: z.string().optional().describe('for instructions taking $ARGUMENTS'),
});

export function skillLoadTool(options: SkillLoadOptions): Tool {
  return defineTool({
    name: SKILL_LOAD_TOOL,
    description: "Load a listed skill's instructions and file list, or one of its files.",
    parameters,
    safety: 'read_only',
    async execute(args, context) {
      const { catalog } = options;
      const skill = catalog.get(args.name);
      if (!skill) {
        const known = catalog.enabled().map((s) => s.name);
        return {
          content: `unknown skill "${args.name}"${didYouMean(args.name, known)}; skills: ${known.join(', ') || 'none'}`,
          isError: true,
        };
      }
      const tools = options.toolsOf(context.agentId);
      const lacking = tools ? missingTools(skill, tools) : [];
      if (lacking.length > 0) {
        return {
          content: `skill "${skill.name}" (program ${skill.program?.name}) needs the tools ${lacking.map(oxydraToolName).join(', ')}, which this agent does not have`,
          isError: true,
        };
      }
      try {
        // Its SKILL.md is read again now, and may have been edited into front matter that needs YAML.
        if (skill.dir !== undefined && args.file === undefined) await loadYaml();
        const content =
          args.file === undefined
            ? instructions(skill, tools, args.offset, args.arguments)
            : resource(skill, args.file, args.offset);
        return {
          content,
          data: { skill: skill.name, tier: skill.tier, ...(args.file ? { file: args.file } : {}) },
        };
      } catch (error) {
        return { content: `skill "${skill.name}": ${(error as Error).message}`, isError: true };
      }
    },
  });
}

function instructions(
  skill: Skill,
  tools: ReadonlySet<string> | undefined,
  offset: number | undefined,
  argumentText: string | undefined,
): string {
  let body = skillBody(skill).trim();
  if (argumentText !== undefined && argumentText.trim() !== '') {
    body = body.includes('$ARGUMENTS')
      ? body.replaceAll('$ARGUMENTS', argumentText)
      : `${body}\n\nARGUMENTS: ${argumentText}`;
  }
  const page = pageOf(body, offset);
  const lines: string[] = [];
  if (page.first === 1) lines.push(...header(skill, tools), '');
  lines.push(page.text);
  if (page.next !== undefined) lines.push('', continuation(skill.name, undefined, page));
  return lines.join('\n');
}

function header(skill: Skill, tools: ReadonlySet<string> | undefined): string[] {
  const lines = [`# Skill: ${skill.name} (${skill.tier})`];
  if (skill.program) {
    const uses = skill.program.requiresTools;
    lines.push(
      `Program ${skill.program.name} ${skill.program.version}${uses.length > 0 ? `; tools it uses: ${uses.map(oxydraToolName).join(', ')}` : ''}`,
    );
  }
  if (skill.allowedTools.length > 0) {
    const mapped = [...new Set(skill.allowedTools.map(oxydraToolName))];
    const lacking = tools ? mapped.filter((name) => !tools.has(name)) : [];
    lines.push(
      `Tools it names: ${skill.allowedTools.join(', ')} (here: ${mapped.join(', ')})${lacking.length > 0 ? `; not available to you: ${lacking.join(', ')}` : ''}`,
    );
  }
  if (skill.argumentHint !== undefined) lines.push(`Arguments: ${skill.argumentHint}`);
  for (const argument of skill.arguments) {
    lines.push(
      `Argument ${argument.name}${argument.required ? ' (required)' : ''}${argument.description ? `: ${argument.description}` : ''}`,
    );
  }
  const { files, more } = skillFiles(skill);
  if (files.length > 0) {
    lines.push(
      `Files (read one with skill_load {"name": "${skill.name}", "file": "<path>"}; file tools and commands cannot reach them):`,
      ...files.map((file) => `- ${file.path} (${formatBytes(file.size)})`),
    );
    if (more > 0) lines.push(`- ... and ${more} more not listed`);
  }
  return lines;
}

function resource(skill: Skill, file: string, offset: number | undefined): string {
  const read = skillResource(skill, file);
  if (read.binary)
    return `${skill.name}/${file} is a binary file (${formatBytes(read.size)}); it cannot be shown`;
  const page = pageOf(read.text, offset);
  const lines = [page.first === 1 ? `# ${skill.name}/${file} (${formatBytes(read.size)})\n` : '', page.text];
  if (page.next !== undefined) lines.push('', continuation(skill.name, file, page));
  else if (read.truncated)
    lines.push('', `[truncated: only the first ${formatBytes(MAX_RESOURCE_BYTES)} are shown]`);
  return lines.filter((line, index) => index > 0 || line !== '').join('\n');
}

function continuation(
  name: string,
  file: string | undefined,
  page: { first: number; last: number; total: number; next?: number },
): string {
  const call = JSON.stringify({ name, ...(file !== undefined ? { file } : {}), offset: page.next });
  return `[lines ${page.first}-${page.last} of ${page.total}; for the rest call skill_load ${call}]`;
}

/**
 * The skills named in an agent's system prompt: none unless it has skill_load (an allowlist
 * without it means no skills), and only those whose program's tools it has.
 */
export function promptSkills(
  catalog: SkillCatalog | undefined,
  specs: readonly { name: string }[],
): { name: string; description: string }[] {
  if (!catalog || !specs.some((spec) => spec.name === SKILL_LOAD_TOOL)) return [];
  return catalog.offered(new Set(specs.map((spec) => spec.name)));
}

/** An assembled agent's tool names, for skill_load's `toolsOf`. */
export function toolNamesOf(
  assembly: { tools: { specs(): { name: string }[] } } | undefined,
): ReadonlySet<string> | undefined {
  return assembly ? new Set(assembly.tools.specs().map((spec) => spec.name)) : undefined;
}

/**
 * What skill_load returns: a skill's instructions (with its header, arguments and file list) or
 * one of its files, a page at a time. Loaded by the tool at its first call.
 */
import { didYouMean, type ToolResult } from '@oxydra/types';
import { missingTools, type SkillCatalog } from './catalog.js';
import { loadYaml } from './front-matter.js';
import { pageOf } from './paging.js';
import { formatBytes, MAX_RESOURCE_BYTES } from './safe-fs.js';
import { type Skill, skillProvenance } from './skill.js';
import { skillBody, skillFiles, skillResource } from './skill-content.js';
import { oxydraToolName } from './tool-aliases.js';

/** One skill_load call: the named skill's instructions or file, or why not (as the model reads it). */
export async function loadSkill(
  catalog: SkillCatalog,
  args: {
    name: string;
    file?: string | undefined;
    offset?: number | undefined;
    arguments?: string | undefined;
  },
  tools: ReadonlySet<string> | undefined,
): Promise<ToolResult> {
  const skill = catalog.get(args.name);
  if (!skill) {
    const known = catalog.enabled().map((s) => s.name);
    return {
      content: `unknown skill "${args.name}"${didYouMean(args.name, known)}; skills: ${known.join(', ') || 'none'}`,
      isError: true,
    };
  }
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
      ...provenanceOf(skill, args.file),
    };
  } catch (error) {
    return { content: `skill "${skill.name}": ${(error as Error).message}`, isError: true };
  }
}

/** What skill_load's result counts as (skillProvenance): nothing for the user's and Oxydra's own. */
function provenanceOf(skill: Skill, file: string | undefined) {
  const provenance = skillProvenance(skill, file);
  return provenance ? { provenance } : {};
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

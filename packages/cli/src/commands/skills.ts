/**
 * `oxydra skills list|show|install|remove`: the Agent Skills agents are offered, found as a run
 * finds them (workspace, user folder, [skills] dirs, programs, bundled; the first of a name
 * wins). No kernel is opened: only the configuration is read, for [skills].
 */

import {
  formatBytes,
  installSkill,
  oxydraToolName,
  removeSkill,
  type Skill,
  SkillCatalog,
  skillBody,
  skillFiles,
} from '@oxydra/kernel/skills';
import { type AgentConfig, didYouMean, UsageError, visibleLine } from '@oxydra/types';
import { type ConfigFlagValues, toCliOverrides } from '../config-flags.js';
import { EXIT_OK } from '../exit-codes.js';
import { agentWorkspace, loadCliConfig } from '../run/load-config.js';
import { printBody, printLines, printWarning } from '../run/print.js';

const warn = printWarning;

async function skillsConfig(workspace: string, flags: ConfigFlagValues): Promise<AgentConfig> {
  return (await loadCliConfig({ cwd: workspace, cli: await toCliOverrides(flags) })).config;
}

function catalogOf(workspace: string, config: AgentConfig): Promise<SkillCatalog> {
  return SkillCatalog.open({
    workspace,
    env: process.env,
    dirs: config.skills.dirs,
    disabled: config.skills.disabled,
    warn,
  });
}

/** Where a skill comes from, in a word or two: "workspace", "program hn-digest 1.0.0". */
function sourceOf(skill: Skill): string {
  return skill.program ? `program ${skill.program.name} ${skill.program.version}` : skill.tier;
}

function skillJson(skill: Skill, catalog: SkillCatalog) {
  return {
    name: skill.name,
    description: skill.description,
    tier: skill.tier,
    ...(skill.dir !== undefined ? { dir: skill.dir } : {}),
    disabled: catalog.isDisabled(skill.name),
    allowed_tools: skill.allowedTools,
    ...(skill.program
      ? {
          program: {
            name: skill.program.name,
            version: skill.program.version,
            requires_tools: skill.program.requiresTools,
          },
        }
      : {}),
    ...(skill.license !== undefined ? { license: skill.license } : {}),
    overrides: catalog
      .shadowed()
      .filter((other) => other.name === skill.name)
      .map((other) => other.tier),
  };
}

const cut = (text: string, width: number) => (text.length <= width ? text : `${text.slice(0, width - 1)}…`);

export async function runSkillsList(options: ConfigFlagValues & { json?: boolean }): Promise<number> {
  const workspace = agentWorkspace();
  const config = await skillsConfig(workspace, options);
  const catalog = await catalogOf(workspace, config);
  const skills = catalog.all();
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify(
        skills.map((skill) => skillJson(skill, catalog)),
        null,
        2,
      )}\n`,
    );
    return EXIT_OK;
  }
  const nameWidth = Math.max(4, ...skills.map((skill) => skill.name.length));
  const sourceWidth = Math.max(6, ...skills.map((skill) => sourceOf(skill).length));
  process.stdout.write(`${'NAME'.padEnd(nameWidth)}  ${'SOURCE'.padEnd(sourceWidth)}  DESCRIPTION\n`);
  for (const skill of skills) {
    const flags = [
      catalog.isDisabled(skill.name) ? 'disabled' : undefined,
      catalog.shadowed().some((other) => other.name === skill.name) ? 'overrides another' : undefined,
    ].filter((flag) => flag !== undefined);
    // The description is the skill file's text (a cloned repository's): one line, made visible.
    printLines(
      `${skill.name.padEnd(nameWidth)}  ${sourceOf(skill).padEnd(sourceWidth)}  ${cut(visibleLine(skill.description), 70)}${flags.length > 0 ? `  (${flags.join(', ')})` : ''}\n`,
    );
  }
  if (!config.skills.enabled) {
    process.stdout.write('[skills] enabled = false: agents are offered none of these\n');
  }
  return EXIT_OK;
}

export async function runSkillsShow(
  name: string,
  options: ConfigFlagValues & { json?: boolean },
): Promise<number> {
  const workspace = agentWorkspace();
  const catalog = await catalogOf(workspace, await skillsConfig(workspace, options));
  const skill = catalog.all().find((s) => s.name === name);
  if (!skill) {
    const known = catalog.all().map((s) => s.name);
    throw new UsageError(`no skill named "${name}"${didYouMean(name, known)}`, {
      hint: `skills: ${known.join(', ') || 'none'}`,
    });
  }
  let body: string;
  try {
    body = skillBody(skill);
  } catch (error) {
    throw new UsageError(`skill ${name}: ${(error as Error).message}`);
  }
  const { files, more } = skillFiles(skill);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ...skillJson(skill, catalog), files, body }, null, 2)}\n`);
    return EXIT_OK;
  }
  const rows: [string, string][] = [
    ['skill', skill.name],
    ['source', `${sourceOf(skill)}${skill.dir !== undefined ? ` (${skill.dir})` : ''}`],
    ['about', skill.description],
  ];
  if (catalog.isDisabled(skill.name)) rows.push(['state', 'disabled by [skills] disabled']);
  if (skill.allowedTools.length > 0) {
    rows.push([
      'tools',
      `${skill.allowedTools.join(', ')} (${[...new Set(skill.allowedTools.map(oxydraToolName))].join(', ')})`,
    ]);
  }
  if (skill.program && skill.program.requiresTools.length > 0) {
    rows.push(['needs', skill.program.requiresTools.join(', ')]);
  }
  if (skill.argumentHint !== undefined) rows.push(['arguments', skill.argumentHint]);
  if (files.length > 0) {
    rows.push([
      'files',
      files.map((file) => `${file.path} (${formatBytes(file.size)})`).join(', ') +
        (more > 0 ? `, ${more} more` : ''),
    ]);
  }
  for (const [key, value] of rows) printLines(`${key.padEnd(10)}${visibleLine(value)}\n`);
  printBody(`\n${body.trim()}\n`);
  return EXIT_OK;
}

export async function runSkillsInstall(
  source: string,
  options: { workspace?: boolean; path?: string; branch?: string; force?: boolean },
): Promise<number> {
  const workspace = agentWorkspace();
  const scope = options.workspace ? 'workspace' : 'user';
  const result = await installSkill(source, {
    workspace,
    env: process.env,
    scope,
    ...(options.path !== undefined ? { path: options.path } : {}),
    ...(options.branch !== undefined ? { branch: options.branch } : {}),
    ...(options.force ? { force: true } : {}),
  });
  for (const path of result.skipped)
    warn(`not copied: ${path} (a link leading out of the folder, or not a regular file)`);
  printLines(`${result.replaced ? 'replaced' : 'installed'} ${result.name} (${scope}: ${result.dir})\n`);
  // Which skill of that name agents get; a configuration that does not load is not this command's business.
  const config = await skillsConfig(workspace, {}).catch(() => undefined);
  if (config) {
    const catalog = await catalogOf(workspace, config);
    const winner = catalog.all().find((skill) => skill.name === result.name);
    if (winner && winner.dir !== result.dir) {
      process.stdout.write(
        `note: the ${winner.tier} skill of the same name takes precedence (${winner.dir ?? winner.origin})\n`,
      );
    }
    if (catalog.isDisabled(result.name)) {
      process.stdout.write(`note: [skills] disabled names ${result.name}: agents are not offered it\n`);
    }
  }
  return EXIT_OK;
}

export async function runSkillsRemove(name: string, options: { workspace?: boolean }): Promise<number> {
  const workspace = agentWorkspace();
  const removed = await removeSkill(name, {
    workspace,
    env: process.env,
    ...(options.workspace ? { scope: 'workspace' as const } : {}),
  });
  process.stdout.write(`removed ${removed.name} (${removed.tier}: ${removed.dir})\n`);
  return EXIT_OK;
}

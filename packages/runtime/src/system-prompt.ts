/**
 * The default system prompt: who the agent is, where it works, and the few rules that most
 * change outcomes (check before claiming, read before editing, verify, stop when
 * done). Kept short on purpose: every token here is paid on every call.
 */
import { type Provenance, provenanceKey, type ToolSpec } from '@oxydra/types';
import { workspaceBlock } from './workspace-text.js';

/** A skill the prompt names; `from`: the workspace's (its folder), marked as such. */
interface PromptSkill {
  name: string;
  description: string;
  from?: Provenance;
}

export interface SystemPromptOptions {
  workspace: string;
  tools: readonly ToolSpec[];
  /** The agent's own prompt ([agents.<name>] system_prompt), appended after the defaults. */
  agentPrompt?: string;
  /** Where agentPrompt came from when the workspace wrote it: it is marked as the workspace's. */
  agentPromptFrom?: Provenance;
  /** YYYY-MM-DD; today (UTC) by default. */
  date?: string;
  /** Who the agent is (a rendered persona or character), placed after the opening line. */
  persona?: string;
  /** Where persona came from when it is a file of the workspace: it is marked as the workspace's. */
  personaFrom?: Provenance;
  /**
   * The skills the agent may load (skill_load): only names and descriptions go into the prompt,
   * a skill's body is read when the model decides to use it.
   */
  skills?: readonly PromptSkill[];
}

export function defaultSystemPrompt(options: SystemPromptOptions): string {
  // The tools themselves are not listed: the request's tool definitions name them already.
  const names = new Set(options.tools.map((tool) => tool.name));
  const date = options.date ?? new Date().toISOString().slice(0, 10);
  const rules = [
    names.size > 0
      ? 'Check facts with your tools; never claim what a file says or a command printed without having seen it.'
      : 'You have no tools in this run: answer from the conversation, and say so when you cannot know something.',
    names.size > 0 &&
      `Read a file before editing it; prefer small edits${names.has('file_edit') ? ' with file_edit' : ''} to rewriting whole files.`,
    names.has('shell_exec') && 'After changing code, verify it: run its tests, build or linters.',
    names.size > 0 && 'Paths are relative to the workspace root.',
    'When the task is done, stop calling tools and answer. Be concise: say what you did and found.',
  ].filter((rule): rule is string => typeof rule === 'string');

  const sections = [
    `You are Oxydra, an autonomous AI agent working in the user's workspace at ${options.workspace}.`,
    marked(options.persona, options.personaFrom),
    `Rules:\n${rules.map((rule) => `- ${rule}`).join('\n')}`,
    `Today's date: ${date}.`,
    marked(options.agentPrompt, options.agentPromptFrom),
    options.skills?.length ? skillsSection(options.skills) : undefined,
  ];
  return sections.filter((section): section is string => section !== undefined).join('\n\n');
}

/** A section's text, in a block naming the workspace as its source when `from` says it is the workspace's. */
function marked(text: string | undefined, from: Provenance | undefined): string | undefined {
  const trimmed = text?.trim();
  if (!trimmed) return undefined;
  return from ? workspaceBlock(from, trimmed) : trimmed;
}

/**
 * One line per skill; the model loads a skill's instructions with skill_load when a task fits it.
 * The user's and Oxydra's skills first, as they are; then the workspace's, one block per folder.
 */
function skillsSection(skills: readonly PromptSkill[]): string {
  const line = (skill: PromptSkill) => `- ${skill.name}: ${skill.description.replace(/\s+/g, ' ').trim()}`;
  const own = skills.filter((skill) => !skill.from).map(line);
  const folders = new Map<string, { from: Provenance; lines: string[] }>();
  for (const skill of skills) {
    if (!skill.from) continue;
    const key = provenanceKey(skill.from);
    const folder = folders.get(key) ?? { from: skill.from, lines: [] };
    folder.lines.push(line(skill));
    folders.set(key, folder);
  }
  const blocks = [...folders.values()].map((folder) => workspaceBlock(folder.from, folder.lines.join('\n')));
  return `Skills (when a task matches one, skill_load it first and follow it):\n${[...own, ...blocks].join('\n')}`;
}

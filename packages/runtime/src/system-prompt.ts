/**
 * The default system prompt: who the agent is, where it works, and the few rules that most
 * change outcomes (check before claiming, read before editing, verify, stop when
 * done). Kept short on purpose: every token here is paid on every call.
 */
import type { ToolSpec } from '@oxydra/types';

export interface SystemPromptOptions {
  workspace: string;
  tools: readonly ToolSpec[];
  /** The agent's own prompt ([agents.<name>] system_prompt), appended after the defaults. */
  agentPrompt?: string;
  /** YYYY-MM-DD; today (UTC) by default. */
  date?: string;
  /** Who the agent is (a rendered persona or character), placed after the opening line. */
  persona?: string;
  /**
   * The skills the agent may load (skill_load): only names and descriptions go into the prompt,
   * a skill's body is read when the model decides to use it.
   */
  skills?: readonly { name: string; description: string }[];
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
    options.persona?.trim() || undefined,
    `Rules:\n${rules.map((rule) => `- ${rule}`).join('\n')}`,
    `Today's date: ${date}.`,
    options.agentPrompt?.trim() || undefined,
    options.skills?.length ? skillsSection(options.skills) : undefined,
  ];
  return sections.filter((section): section is string => section !== undefined).join('\n\n');
}

/** One line per skill; the model loads a skill's instructions with skill_load when a task fits it. */
function skillsSection(skills: readonly { name: string; description: string }[]): string {
  const lines = skills.map((skill) => `- ${skill.name}: ${skill.description.replace(/\s+/g, ' ').trim()}`);
  return `Skills (when a task matches one, skill_load it first and follow it):\n${lines.join('\n')}`;
}

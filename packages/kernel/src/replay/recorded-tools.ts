/**
 * Which tools a replay runs and which it answers from the recording. Tools that work on the
 * workspace's files (the file tools, shell_exec, vault_copyto, skill_load) run for real, in the
 * replay's workspace: their results are what a replay checks. Every other tool reaches beyond
 * the workspace — the network (web_fetch, web_search, a2a_delegate, MCP servers), another
 * model (delegate_to_agent), the memory database, the scheduler, plugins — so a replay answers
 * it with the result the recording holds for the same call (name and arguments, in order):
 * nothing leaves the machine and nothing outside the workspace changes.
 */
import type { Tool } from '@oxydra/types';
import { type Recording, recordedCalls } from './recording.js';

/** Tools a replay runs for real. */
export const WORKSPACE_TOOLS: ReadonlySet<string> = new Set([
  'file_read',
  'file_list',
  'file_search',
  'file_write',
  'file_edit',
  'file_delete',
  'shell_exec',
  'vault_copyto',
  'skill_load',
]);

/** JSON with object keys sorted: equal arguments, equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/** Stand-ins for the recording's tools that a replay does not run, answering from the recording. */
export function recordedTools(recording: Recording): Tool[] {
  const answers = new Map<string, { content: string; isError: boolean }[]>();
  const names = new Set<string>();
  for (const turn of recording.turns) {
    for (const { call, result } of recordedCalls(turn)) {
      if (WORKSPACE_TOOLS.has(call.name)) continue;
      names.add(call.name);
      const key = `${call.name}\0${canonicalJson(call.arguments)}`;
      const queue = answers.get(key) ?? [];
      queue.push(
        result
          ? { content: result.content, isError: result.isError ?? false }
          : { content: 'the recording has no result for this call (its run ended first)', isError: true },
      );
      answers.set(key, queue);
    }
  }
  return [...names].map((name) => ({
    name,
    description: `${name}, answered from the recorded session (a replay does not run it)`,
    parameters: { type: 'object', additionalProperties: true },
    safety: 'read_only',
    async execute(args) {
      const answer = answers.get(`${name}\0${canonicalJson(args)}`)?.shift();
      return (
        answer ?? {
          content: `replay: the recording has no ${name} call with these arguments left to answer it`,
          isError: true,
        }
      );
    },
  }));
}

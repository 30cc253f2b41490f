/**
 * Skills and programs written for other tools name those tools' tools: Claude Code's `Read`,
 * `Grep`, `Bash(git:*)`, Oxios's `read`, `exec`, `grep`, `find`. Each maps to the Oxydra tool
 * that does the same job, so such a skill is followed, and such a program offered, unchanged.
 */
const ALIASES: Record<string, string> = {
  read: 'file_read',
  write: 'file_write',
  edit: 'file_edit',
  multiedit: 'file_edit',
  ls: 'file_list',
  glob: 'file_list',
  find: 'file_list',
  grep: 'file_search',
  search: 'file_search',
  bash: 'shell_exec',
  exec: 'shell_exec',
  shell: 'shell_exec',
  webfetch: 'web_fetch',
  fetch: 'web_fetch',
  websearch: 'web_search',
};

/** The Oxydra tool another tool's name means; the name itself when it is not an alias. */
export function oxydraToolName(name: string): string {
  const bare = name.replace(/\(.*$/s, '').trim();
  return ALIASES[bare.toLowerCase()] ?? bare;
}

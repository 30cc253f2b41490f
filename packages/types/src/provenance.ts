import { posix } from 'node:path';

/**
 * Where a piece of the model's context came from (issue 37's taint tracking). Every user message
 * and tool result may carry one; the runtime gathers the distinct ones a run's context holds and
 * hands them to each tool call, and the kernel's taint policy decides which kinds are untrusted
 * and what a context holding them may still do without a fresh human approval.
 */

/**
 * user / system: the operator and Oxydra itself. workspace_file: a file of the workspace (a
 * cloned repository's own files are someone else's words). web / browser: fetched pages.
 * channel: a chat message from a sender other than the operator. mcp: an MCP server's result.
 * sub_agent: a delegated agent's answer.
 */
export const PROVENANCE_KINDS = [
  'user',
  'system',
  'workspace_file',
  'web',
  'browser',
  'channel',
  'mcp',
  'sub_agent',
] as const;

export type ProvenanceKind = (typeof PROVENANCE_KINDS)[number];

export interface Provenance {
  kind: ProvenanceKind;
  /** Which one: the URL, the file path, the MCP server, the channel sender. */
  source?: string;
}

const KIND_NAMES: Record<ProvenanceKind, string> = {
  user: 'the user',
  system: 'Oxydra',
  workspace_file: 'the workspace file',
  web: 'the web page',
  browser: 'the browser page',
  channel: 'a channel message from',
  mcp: 'the MCP server',
  sub_agent: 'the sub-agent',
};

/** "the web page https://x.example/a", "the MCP server github": for approvals and refusals. */
export function describeProvenance(provenance: Provenance): string {
  const name = KIND_NAMES[provenance.kind];
  return provenance.source === undefined ? name : `${name} ${provenance.source}`;
}

/** One key per distinct provenance, so a context keeps each source once. */
export function provenanceKey(provenance: Provenance): string {
  return provenance.source === undefined ? provenance.kind : `${provenance.kind}\u0000${provenance.source}`;
}

/** The workspace folder the browser tools save a page's downloads in. */
export const DOWNLOADS_DIR = 'downloads';
/** The workspace folder chat channels save a message's files in (`inbox/<channel>/`). */
export const INBOX_DIR = 'inbox';

/**
 * What a file the workspace holds counts as, by where Oxydra put it: a page's download is the
 * browser's words and a chat file the channel's, whoever reads them later and by which tool (a
 * prompt injected in a downloaded file would otherwise be read back as a plain workspace file).
 * Judged on the path as the tool was given it; a path elsewhere is a workspace file.
 */
export function workspaceFileProvenance(path: unknown): Provenance {
  if (typeof path !== 'string' || path === '') return { kind: 'workspace_file' };
  // Normalised first, so `a/../downloads/x` and `./downloads/x` are the download they name.
  const normal = posix.normalize(path.replace(/\\/g, '/'));
  const first = normal.split('/')[0];
  const kind = first === DOWNLOADS_DIR ? 'browser' : first === INBOX_DIR ? 'channel' : 'workspace_file';
  return { kind, ...sourceOf(normal) };
}

/** A source string for a provenance, cut to a readable length (it is shown in approvals). */
export function sourceOf(value: unknown): { source?: string } {
  return typeof value === 'string' && value !== '' ? { source: value.slice(0, 200) } : {};
}

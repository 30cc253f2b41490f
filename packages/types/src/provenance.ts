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

/**
 * What a stored text records of the context it was written in (conversation recall's taint):
 * the sources other than the operator's and Oxydra's own, one per kind (the first seen), so a
 * chunk keeps at most one entry per kind whatever the run read. Which kinds are untrusted is the
 * policy's, decided when the text is recalled; undefined: nothing to record.
 */
export function chunkTaint(provenance: readonly Provenance[]): Provenance[] | undefined {
  let taint: Provenance[] | undefined;
  for (const entry of provenance) {
    if (entry.kind === 'user' || entry.kind === 'system') continue;
    if (taint?.some((kept) => kept.kind === entry.kind)) continue;
    taint ??= [];
    taint.push(
      entry.source === undefined ? { kind: entry.kind } : { kind: entry.kind, source: entry.source },
    );
  }
  return taint;
}

/** A chunk's taint as its stores keep it: JSON, or null for none. */
export function taintText(taint: readonly Provenance[] | undefined): string | null {
  return taint === undefined || taint.length === 0 ? null : JSON.stringify(taint);
}

const KNOWN_KINDS: ReadonlySet<string> = new Set(PROVENANCE_KINDS);

/**
 * A stored taint read back: the entries of known kinds, one per kind, their sources cut as
 * sourceOf does (the column may hold anything a migration or another writer put there);
 * undefined for none. Unreadable text, or a kind this version does not know, counts as a page
 * (kind `web`): a row that says it was tainted and cannot say how is not read as clean.
 */
export function parseTaint(value: unknown): Provenance[] | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return [{ kind: 'web' }];
  }
  if (!Array.isArray(parsed)) return [{ kind: 'web' }];
  const entries = parsed.flatMap((entry: unknown): Provenance[] => {
    if (typeof entry !== 'object' || entry === null) return [];
    const { kind, source } = entry as { kind?: unknown; source?: unknown };
    if (typeof kind !== 'string') return [];
    // A kind this version does not know (a newer writer's) is read as a page: not as clean.
    return [{ kind: KNOWN_KINDS.has(kind) ? (kind as ProvenanceKind) : 'web', ...sourceOf(source) }];
  });
  return chunkTaint(entries);
}

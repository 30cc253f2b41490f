/**
 * The built-in tools as the model sees them: each one's name, description, parameter schema and
 * safety tier. Every run offers all of them, but a run calls few: each tool's code (and what only
 * it needs: the write machinery, ripgrep, the HTML reader, the shell policy) is its own module,
 * imported at its first call (defineTool's `load`). The schemas are here (below), built at a
 * tool's first use; parameters.ts has their types, options and defaults, which the code imports
 * too. At the end, the set an agent gets from its [tools] section (createCoreTools,
 * createWebTools).
 */
import { DEFAULT_KILL_GRACE_MS, homeSecretPaths } from '@oxydra/sandbox/detect';
import { type Provenance, sourceOf, type Tool, workspaceFileProvenance } from '@oxydra/types';
import { z } from 'zod';
import { type DefinedTool, defineTool } from '../define.js';
import type { PathPolicy } from '../paths.js';
import type { CommandRunner } from '../process/run-command.js';
import { findOnPath } from '../search/on-path.js';
import { MAX_VAULT_COPY_BYTES, VAULT_PREFIX, vaultDenyPolicy } from '../vault/config.js';
import type { EgressPolicy } from '../web/address-policy.js';
import type { Connector, Resolver, SafeFetch, SafeFetchOptions } from '../web/safe-fetch.js';
import {
  DEFAULT_READ_BYTES,
  DEFAULT_READ_LINES,
  DUCKDUCKGO_URL,
  type FileDeleteArgs,
  type FileEditArgs,
  type FileListArgs,
  type FileReadArgs,
  type FileReadOptions,
  type FileSearchArgs,
  type FileSearchOptions,
  type FileWriteArgs,
  MAX_LIST_ENTRIES,
  MAX_SEARCH_ANSWER_BYTES,
  MAX_SEARCH_MATCHES,
  type ShellConfig,
  type ShellExecArgs,
  type ShellExecOptions,
  type VaultCopyArgs,
  type VaultCopyOptions,
  type WebFetchArgs,
  type WebFetchOptions,
  type WebSearchArgs,
  type WebSearchOptions,
} from './parameters.js';

/**
 * The tools' argument schemas, each a function that builds it: defineTool calls it at the tool's
 * first validation or first read of its JSON Schema, so a start that makes the tools builds none.
 * Here, in the module whose functions make the tools, not in parameters.ts: the argument types
 * there are these schemas' output.
 */
const FILE_READ = () =>
  z.object({
    path: z.string(),
    // The page header says which offset reads on.
    offset: z.number().int().min(1).optional(),
    limit: z.number().int().min(1).optional(),
  });

const FILE_LIST = () =>
  z.object({
    path: z.string().optional().describe('default: workspace root'),
  });

const FILE_SEARCH = () =>
  z.object({
    path: z.string(),
    query: z.string().min(1),
  });

const FILE_WRITE = () =>
  z.object({
    path: z.string(),
    content: z.string(),
  });

const FILE_EDIT = () =>
  z.object({
    path: z.string(),
    old_text: z.string().min(1),
    new_text: z.string(),
  });

const FILE_DELETE = () =>
  z.object({
    path: z.string(),
  });

const SHELL_EXEC = () =>
  z.object({
    command: z.string().min(1),
  });

const VAULT_COPYTO = () =>
  z.object({
    source_path: z.string().min(1).describe(`${VAULT_PREFIX}<path>, or relative to the vault`),
    destination_path: z.string().min(1),
  });

const WEB_FETCH = () =>
  z.object({
    url: z.string().min(1),
  });

const WEB_SEARCH = () =>
  z.object({
    query: z.string().min(1),
    count: z.number().int().min(1).max(10).default(5),
    freshness: z.enum(['day', 'week', 'month', 'year']).optional(),
  });

/** True when A and B are the same type (each assignable to the other). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Output<F extends () => z.ZodType> = z.output<ReturnType<F>>;
/** Compile-time: each schema's output is the argument type its code is written against (parameters.ts). */
const SCHEMAS_MATCH_ARGS: [
  Same<Output<typeof FILE_READ>, FileReadArgs>,
  Same<Output<typeof FILE_LIST>, FileListArgs>,
  Same<Output<typeof FILE_SEARCH>, FileSearchArgs>,
  Same<Output<typeof FILE_WRITE>, FileWriteArgs>,
  Same<Output<typeof FILE_EDIT>, FileEditArgs>,
  Same<Output<typeof FILE_DELETE>, FileDeleteArgs>,
  Same<Output<typeof SHELL_EXEC>, ShellExecArgs>,
  Same<Output<typeof VAULT_COPYTO>, VaultCopyArgs>,
  Same<Output<typeof WEB_FETCH>, WebFetchArgs>,
  Same<Output<typeof WEB_SEARCH>, WebSearchArgs>,
] = [true, true, true, true, true, true, true, true, true, true];
void SCHEMAS_MATCH_ARGS;

/** Registry timeout beyond the command's own: the command's timeout fires first and reports its output. */
const REGISTRY_SLACK_MS = 5000;

const DEFAULT_FETCH_CHARS = 50_000;

/**
 * Results of the file readers hold workspace files' text (untrusted when [taint] says so), or a
 * page's download or a chat's file, which stay the browser's and the channel's words.
 */
const workspaceFile = (args: Record<string, unknown>): Provenance => workspaceFileProvenance(args.path);

// ---- file_read: a text file, whole when it is small, a page of lines at a time when it is not.

export function fileReadTool(options: FileReadOptions = {}, policy: PathPolicy = {}): DefinedTool {
  const page = {
    maxLines: options.maxLines ?? DEFAULT_READ_LINES,
    maxBytes: options.maxBytes ?? DEFAULT_READ_BYTES,
  };
  return defineTool({
    name: 'file_read',
    description:
      `Read a UTF-8 text file, verbatim. Over ${page.maxLines} lines or ${page.maxBytes} bytes, or with ` +
      'offset/limit, you get a page of lines (not numbered) under a header saying how to read on. ' +
      'Binary files are refused.',
    parameters: FILE_READ,
    safety: 'read_only',
    provenance: workspaceFile,
    load: async () => (await import('./file-read.js')).fileRead(page, policy),
  });
}

// ---- file_list: one directory's entries.

export function fileListTool(policy: PathPolicy = {}): DefinedTool {
  return defineTool({
    name: 'file_list',
    description:
      'List a directory (not recursive): sorted, directories ending in "/", at most ' +
      `${MAX_LIST_ENTRIES} entries; .git and .oxydra hidden.`,
    parameters: FILE_LIST,
    safety: 'read_only',
    load: async () => (await import('./file-list.js')).fileList(policy),
  });
}

// ---- file_search: literal text across the workspace, through ripgrep when installed.

export function fileSearchTool(options: FileSearchOptions = {}, policy: PathPolicy = {}): DefinedTool {
  const maxMatches = options.maxMatches ?? MAX_SEARCH_MATCHES;
  // An explicit `rg` that is missing is a configuration error, said at creation.
  if (options.backend === 'rg' && !options.rgPath && !findOnPath('rg')) {
    throw new Error('ripgrep (rg) is not installed');
  }
  return defineTool({
    name: 'file_search',
    description:
      'Search the text files under a folder ("." for all), or one file, for a literal string ' +
      `(not a regex), case-insensitive unless the query has capitals: up to ${maxMatches} matches as ` +
      '"path:line: text". Honours .gitignore; skips binary files, .git and .oxydra.',
    parameters: FILE_SEARCH,
    safety: 'read_only',
    provenance: workspaceFile,
    load: async () => (await import('./file-search.js')).fileSearch({ ...options, maxMatches }, policy),
  });
}

// ---- file_write: a whole file, created or replaced atomically.

export function fileWriteTool(policy: PathPolicy = {}): DefinedTool {
  return defineTool({
    name: 'file_write',
    description:
      'Create or overwrite a whole file (UTF-8) atomically, with any missing folders. For part of ' +
      'a file, use file_edit.',
    parameters: FILE_WRITE,
    safety: 'side_effecting',
    load: async () => (await import('./file-write.js')).fileWrite(policy),
  });
}

// ---- file_edit: replace one exact snippet, so the model changes what it meant and nothing else.

export function fileEditTool(policy: PathPolicy = {}): DefinedTool {
  return defineTool({
    name: 'file_edit',
    description:
      'Replace old_text, which must occur exactly once byte for byte (whitespace included), with ' +
      'new_text, atomically. Copy old_text from a fresh file_read, with enough lines to be unique.',
    parameters: FILE_EDIT,
    safety: 'side_effecting',
    load: async () => (await import('./file-edit.js')).fileEdit(policy),
  });
}

// ---- file_delete: a file, a link or a whole folder.

export function fileDeleteTool(policy: PathPolicy = {}): DefinedTool {
  return defineTool({
    name: 'file_delete',
    description: 'Delete a file or a whole folder (a symbolic link itself, not its target). No undo.',
    parameters: FILE_DELETE,
    safety: 'side_effecting',
    load: async () => (await import('./file-delete.js')).fileDelete(policy),
  });
}

// ---- shell_exec: one /bin/sh command in the workspace, under the [tools.shell] policy.

export function shellExecTool(options: ShellExecOptions): DefinedTool {
  const { shell } = options;
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  // Pipes and redirections are what a shell is assumed to have: only their absence is news.
  const rules = shell.allow_operators ? '' : ' Simple commands only: no pipes, &&, ;, redirections or $( ).';
  return defineTool({
    name: 'shell_exec',
    description:
      'Run a command with /bin/sh -c in the workspace root: exit code and output (stdout and ' +
      `stderr; a long one keeps its start and end). Stopped after ${shell.command_timeout_secs} s ` +
      'with all it started, so no servers stay up. No stdin (pass -y and the like), few ' +
      `environment variables.${rules} Prefer the file tools for files. May need the user's approval.`,
    parameters: SHELL_EXEC,
    safety: 'privileged',
    timeoutMs: shell.command_timeout_secs * 1000 + killGraceMs + REGISTRY_SLACK_MS,
    summarize: ({ command }) => command,
    load: async () => (await import('./shell-exec.js')).shellExec({ ...options, killGraceMs }),
  });
}

// ---- vault_copyto: a vault file copied into the workspace, its content never shown to the model.

export function vaultCopyToTool(options: VaultCopyOptions): DefinedTool {
  const maxBytes = options.maxBytes ?? MAX_VAULT_COPY_BYTES;
  return defineTool({
    name: 'vault_copyto',
    description:
      `Copy one file of up to ${maxBytes} bytes from the vault (a read-only folder of documents, ` +
      `${VAULT_PREFIX}<file>) into the workspace, replacing any file there, for the file tools to ` +
      'use. The vault is reachable no other way; the content is not shown.',
    parameters: VAULT_COPYTO,
    safety: 'side_effecting',
    summarize: ({ source_path, destination_path }) => `vault_copyto ${source_path} -> ${destination_path}`,
    load: async () => (await import('../vault/copyto.js')).vaultCopyTo(options.path, maxBytes),
  });
}

// ---- web_fetch: one web page as text the model can read, through the SSRF-guarded safeFetch.

export function webFetchTool(options: WebFetchOptions): DefinedTool {
  const maxChars = options.maxChars ?? DEFAULT_FETCH_CHARS;
  return defineTool({
    name: 'web_fetch',
    description:
      `Fetch an http(s) URL as text (HTML simplified), at most ${maxChars} characters. ` +
      'Refuses binary content and private addresses not allowlisted.',
    parameters: WEB_FETCH,
    safety: 'side_effecting',
    summarize: ({ url }) => `web_fetch ${url}`,
    provenance: (args) => ({ kind: 'web', ...sourceOf(args.url) }),
    load: async () => (await import('../web/web-fetch.js')).webFetch(options.fetch, maxChars),
  });
}

// ---- web_search: a few results (title, URL, snippet) from DuckDuckGo's HTML page or a SearxNG.

export function webSearchTool(options: WebSearchOptions): DefinedTool {
  if (options.provider === 'searxng' && options.baseUrl === undefined) {
    throw new Error('tools.web_search.base_url is required for the searxng provider');
  }
  return defineTool({
    name: 'web_search',
    description: 'Search the web: a title, URL and snippet per result.',
    parameters: WEB_SEARCH,
    safety: 'side_effecting',
    summarize: ({ query }) => `web_search ${JSON.stringify(query)}`,
    provenance: (args) => ({
      kind: 'web',
      ...sourceOf(typeof args.query === 'string' ? `search: ${args.query}` : undefined),
    }),
    load: async () => (await import('../web/web-search.js')).webSearch(options),
  });
}

// ---- The web tools, configured from the agent's [tools.web_search] section.

/** The config's tools.web_search (structurally; the schema's output type fits). */
export interface WebSearchConfig {
  provider: 'duckduckgo' | 'searxng';
  base_url?: string | undefined;
  egress_allowlist: readonly string[];
}

export interface WebToolsOptions {
  webSearch: WebSearchConfig;
  /** Replaces DNS resolution for the SSRF check (tests). */
  resolve?: Resolver;
  /** Where sockets for checked addresses really go (tests). */
  connect?: Connector;
  /** Replaces the whole guarded fetch (tests); `resolve`/`connect` are then unused. */
  fetch?: SafeFetch;
  timeoutMs?: number;
  /** web_fetch's text cap. Default 50,000 characters. */
  maxChars?: number;
}

/**
 * A guarded fetch made at its first call, its modules loaded then. The address policy parses
 * host names and addresses (node:net's IPv6 pattern alone compiles in ~5 ms), which a run that
 * never fetches anything should not pay for at start-up.
 */
function atFirstCall(make: () => Promise<SafeFetch>): SafeFetch {
  let made: Promise<SafeFetch> | undefined;
  return async (url, init) => {
    made ??= make().catch((error: unknown) => {
      made = undefined;
      throw error;
    });
    return (await made)(url, init);
  };
}

export function createWebTools(options: WebToolsOptions): Tool[] {
  const config = options.webSearch;
  let basePolicy: EgressPolicy | undefined;
  const policy = async (): Promise<EgressPolicy> => {
    const { EgressPolicy } = await import('../web/address-policy.js');
    basePolicy ??= new EgressPolicy(config.egress_allowlist);
    return basePolicy;
  };
  const make = (p: () => Promise<EgressPolicy>, maxBytes?: number): SafeFetch => {
    if (options.fetch) return options.fetch;
    return atFirstCall(async () => {
      const { createSafeFetch } = await import('../web/safe-fetch.js');
      const fetchOptions: SafeFetchOptions = { policy: await p() };
      if (options.resolve) fetchOptions.resolve = options.resolve;
      if (options.connect) fetchOptions.connect = options.connect;
      if (options.timeoutMs !== undefined) fetchOptions.timeoutMs = options.timeoutMs;
      if (maxBytes !== undefined) fetchOptions.maxBytes = maxBytes;
      return createSafeFetch(fetchOptions);
    });
  };
  // The configured backend is the user's own choice (often a SearxNG on localhost), so its
  // host:port is allowed for searches only; web_fetch keeps the plain policy. Worked out with
  // the search policy, at the first search, like the rest of the address policy.
  const searchPolicy = async (): Promise<EgressPolicy> => {
    const { urlPort } = await import('../web/address-policy.js');
    const backend = new URL(config.base_url ?? DUCKDUCKGO_URL);
    return (await policy()).with([`${backend.hostname}:${urlPort(backend)}`]);
  };
  const fetchTool =
    options.maxChars === undefined
      ? webFetchTool({ fetch: make(policy) })
      : webFetchTool({ fetch: make(policy), maxChars: options.maxChars });
  const searchOptions: Parameters<typeof webSearchTool>[0] = {
    provider: config.provider,
    fetch: make(searchPolicy, MAX_SEARCH_ANSWER_BYTES),
  };
  if (config.base_url !== undefined) searchOptions.baseUrl = config.base_url;
  return [fetchTool, webSearchTool(searchOptions)];
}

// ---- The core tools, configured from the agent's [tools] section.

export interface CoreToolsOptions {
  /** The config's tools.shell: shell_exec is included only when enabled. */
  shell: ShellConfig;
  read?: FileReadOptions;
  search?: FileSearchOptions;
  /** Replaces the command runner (the OS sandbox's). */
  runCommand?: CommandRunner;
  /** shell_exec refuses every command with this message (no working sandbox: fail closed). */
  shellUnavailable?: string;
  /** Source of the shell's allowlisted environment variables. Default: process.env. */
  env?: ShellExecOptions['env'];
  shellOutputBytes?: number;
  /** The config's tools.web_search: web_fetch and web_search are included when given. */
  webSearch?: WebToolsOptions['webSearch'];
  /** The config's tools.vault_path, made absolute: adds vault_copyto and keeps the file tools out. */
  vault?: VaultCopyOptions;
  /**
   * Folders no file tool may touch even inside the workspace (a workspace that is the home
   * directory): the same ones the sandbox hides from commands. Default: homeSecretPaths() (the
   * one list, HOME_SECRET_FOLDERS and OXYDRA_HOME_FOLDERS in @oxydra/types).
   */
  secretPaths?: readonly string[];
}

const SECRET_REASON = 'a secrets folder, hidden from every tool and command';

/** Pages are cut below the registry's 16 KiB output cap, so the cut is the tool's own, noted. */
const WEB_FETCH_MAX_CHARS = 14_000;

/** The folders the file tools keep out of (the vault, the secrets folders): also where a page's downloads may not go. */
export function fileToolsPolicy(options: Pick<CoreToolsOptions, 'vault' | 'secretPaths'>): PathPolicy {
  return {
    deny: [
      ...(options.vault ? (vaultDenyPolicy(options.vault.path).deny ?? []) : []),
      ...(options.secretPaths ?? homeSecretPaths()).map((path) => ({ path, reason: SECRET_REASON })),
    ],
  };
}

export function createCoreTools(options: CoreToolsOptions): Tool[] {
  const policy = fileToolsPolicy(options);
  const tools: Tool[] = [
    fileReadTool(options.read, policy),
    fileListTool(policy),
    fileSearchTool(options.search, policy),
    fileWriteTool(policy),
    fileEditTool(policy),
    fileDeleteTool(policy),
  ];
  if (options.vault) tools.push(vaultCopyToTool(options.vault));
  if (options.shell.enabled) {
    const shellOptions: ShellExecOptions = { shell: options.shell };
    if (options.runCommand) shellOptions.runCommand = options.runCommand;
    if (options.shellUnavailable !== undefined) shellOptions.unavailable = options.shellUnavailable;
    if (options.env) shellOptions.env = options.env;
    if (options.shellOutputBytes !== undefined) shellOptions.maxOutputBytes = options.shellOutputBytes;
    tools.push(shellExecTool(shellOptions));
  }
  if (options.webSearch)
    tools.push(...createWebTools({ webSearch: options.webSearch, maxChars: WEB_FETCH_MAX_CHARS }));
  return tools;
}

/**
 * Shared pieces of the MCP client tests: where the real third-party servers are installed,
 * a workspace the sandbox's user can write (as root, stdio servers run as the workspace's
 * owner) and sources built the way the kernel builds them.
 */
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BWRAP, detectSandbox, sandboxIdentity } from '@oxydra/sandbox';
import {
  type McpConfig,
  type McpServerConfig,
  mcpSchema,
  type ToolContext,
  toolsSchema,
  untrustedLine,
} from '@oxydra/types';
import { type McpServerSource, type McpSourcesOptions, mcpToolSources } from '../src/index.js';
import { mcpFixtures } from './fixture-paths.js';

export const REPO = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const NODE_MODULES = path.join(REPO, 'node_modules');
export const FIXTURES = mcpFixtures();
export const TRIVIAL_SERVER = path.join(FIXTURES, 'trivial-server.mjs');

const require = createRequire(import.meta.url);

/** The script a package's bin entry points at, e.g. binOf('@modelcontextprotocol/server-everything'). */
export function binOf(pkg: string): string {
  const manifest = require.resolve(`${pkg}/package.json`);
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: string | Record<string, string> };
  const entry = typeof bin === 'string' ? bin : Object.values(bin)[0]!;
  return path.join(path.dirname(manifest), entry);
}

export const EVERYTHING = binOf('@modelcontextprotocol/server-everything');
export const FILESYSTEM = binOf('@modelcontextprotocol/server-filesystem');
export const MEMORY = binOf('@modelcontextprotocol/server-memory');

const made: string[] = [];

/** A temporary workspace; as root it belongs to "nobody", whom the sandbox then runs servers as. */
export function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'oxydra-mcp-'));
  if (process.geteuid?.() === 0) chownSync(dir, 65534, 65534);
  made.push(dir);
  return dir;
}

export function removeWorkspaces(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Why sandboxed servers cannot run here, or undefined when bubblewrap works: the only reason
 * a sandboxed test may be skipped.
 */
export function sandboxProblem(): string | undefined {
  const probe = mkdtempSync(path.join(tmpdir(), 'oxydra-mcp-probe-'));
  try {
    if (process.geteuid?.() === 0) chownSync(probe, 65534, 65534);
    const detection = detectSandbox(BWRAP, sandboxIdentity(probe, 'auto'));
    return detection.tier === 'bubblewrap'
      ? undefined
      : `bubblewrap cannot start here: ${detection.degradation ?? detection.tier}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

export const SANDBOX_DEFAULTS = toolsSchema().parse({}).sandbox;

/** Sources for these servers, built as the kernel builds them (mcpToolSources). */
export function sources(
  servers: Record<string, Partial<McpServerConfig> & Record<string, unknown>>,
  options: Partial<McpSourcesOptions> & { mcp?: Partial<McpConfig> } = {},
): McpServerSource[] {
  const { mcp, ...rest } = options;
  const config = mcpSchema().parse({ ...mcp, servers });
  return mcpToolSources(config, {
    workspace: rest.workspace ?? workspace(),
    sandbox: SANDBOX_DEFAULTS,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    reconnect: { initialDelayMs: 200, maxDelayMs: 2_000, callWaitMs: 10_000 },
    ...rest,
  });
}

export function context(signal: AbortSignal = new AbortController().signal): ToolContext {
  return { workspace: '/', signal };
}

export function tool(source: McpServerSource, name: string) {
  const found = source.tools().find((t) => t.name === name);
  if (!found)
    throw new Error(
      `${name} not offered; offered: ${source
        .tools()
        .map((t) => t.name)
        .join(', ')}`,
    );
  return found;
}

export async function call(
  source: McpServerSource,
  name: string,
  args: Record<string, unknown>,
  signal?: AbortSignal,
) {
  const result = await tool(source, name).execute(args, context(signal));
  return typeof result === 'string' ? { content: result, isError: false } : result;
}

/** An MCP result's text as the model reads it: all below the line naming the configured server. */
export const fromServer = (server: string, text: string): string =>
  `${untrustedLine(`the MCP server "${server}"`)}\n\n${text}`;

/** The server's words in `content`, after checking they are all below the line naming it. */
export function serverWords(source: McpServerSource, content: string): string {
  const head = fromServer(source.server, '');
  if (!content.startsWith(head)) throw new Error(`not below the untrusted line: ${content.slice(0, 300)}`);
  return content.slice(head.length);
}

/** What the server answered `name`, checked to be below the untrusted line (serverWords). */
export async function said(
  source: McpServerSource,
  name: string,
  args: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<string> {
  return serverWords(source, (await call(source, name, args, signal)).content);
}

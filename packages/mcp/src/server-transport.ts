/**
 * How a configured MCP server is reached: Streamable HTTP (its headers, the bearer token from
 * its variable, each answer read up to the cap of one message) or stdio through the launch plan (covered against inherited descriptors,
 * stdio-transport.ts), and what a server's settings hold that no message may show.
 */
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { McpServerConfig } from '@oxydra/types';
import { boundedFetch } from './bounded-fetch.js';
import type { StdioLaunch } from './stdio-launch.js';
import { CoveredStdioTransport } from './stdio-transport.js';

/** A server configured so it cannot work (a missing variable): not retried. */
export class ConfigProblem extends Error {}

/** Setting names whose values are credentials: kept out of tool output too. */
const CREDENTIAL_NAME = /token|secret|key|passw|auth|credential|cookie/i;

/**
 * The values to redact, longest first: from messages (health, errors) every one of the
 * server's settings; from tool output, which the model reads, the token and the values of
 * settings named like credentials.
 */
export function serverSecrets(
  config: McpServerConfig,
  env: Readonly<Record<string, string | undefined>>,
): { messages: string[]; output: string[] } {
  const token = config.bearer_token_env ? env[config.bearer_token_env] : undefined;
  const settings = [...Object.entries(config.env), ...Object.entries(config.headers)];
  const longestFirst = (values: string[]) =>
    [...new Set(values.filter((value) => value.length >= 4))].sort((a, b) => b.length - a.length);
  return {
    messages: longestFirst([...(token ? [token] : []), ...settings.map(([, value]) => value)]),
    output: longestFirst([
      ...(token ? [token] : []),
      ...settings.filter(([name]) => CREDENTIAL_NAME.test(name)).map(([, value]) => value),
    ]),
  };
}

/** A new transport to the server; a stdio server's stderr goes to `onStderr` (always read: an unread pipe blocks it). */
export async function openTransport(
  config: McpServerConfig,
  env: Readonly<Record<string, string | undefined>>,
  launch: StdioLaunch | undefined,
  onStderr: (text: string) => void,
): Promise<Transport> {
  if (config.url !== undefined) {
    const headers: Record<string, string> = { ...config.headers };
    const variable = config.bearer_token_env;
    if (variable !== undefined) {
      const token = env[variable];
      if (!token) throw new ConfigProblem(`bearer_token_env: the variable ${variable} is not set`);
      headers.Authorization = `Bearer ${token}`;
    }
    // Each answer's body is read up to the cap of one message (bounded-fetch.ts).
    return new StreamableHTTPClientTransport(new URL(config.url), {
      requestInit: { headers },
      fetch: boundedFetch(),
    });
  }
  if (!launch) throw new ConfigProblem('no launch plan for a stdio server');
  const transport = new CoveredStdioTransport(await launch.params());
  transport.stderr?.on('data', (chunk: Buffer) => onStderr(chunk.toString('utf8')));
  return transport;
}

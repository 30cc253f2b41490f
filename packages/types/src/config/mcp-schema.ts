/**
 * `[mcp]`: MCP servers whose tools agents may use. Each `[mcp.servers.<name>]` is either a
 * stdio server (`command`, `args`, `env`) — run inside the sandbox policy unless `sandbox =
 * false` — or a Streamable HTTP one (`url`, `headers`, a bearer token from an environment
 * variable). Its tools are offered as `<name>__<tool>`
 * (the name has no `__`, so the first `__` ends it).
 */
import { z } from 'zod';
import { once } from '../once.js';

/**
 * A server's name begins each of its tools' names, `<server>__<tool>`, and a tool's own name may
 * hold `__`: so no `__` in a server's name and no `_` at its end, and the first `__` of a tool's
 * name always ends its server's (`a` with tool `b__c` and `a__b` with tool `c` were one name).
 */
const SERVER_NAME = /^(?!.*__)(?!.*_$)[A-Za-z0-9_-]{1,32}$/;
const SERVER_NAME_RULE =
  'use 1-32 letters, digits, "_" or "-", with no "__" and no "_" at the end (a tool is named <server>__<tool>)';

export const mcpServerSchema = once(() =>
  z
    .strictObject({
      command: z.string().min(1).optional().describe('stdio: the program to start'),
      args: z.array(z.string()).default([]).describe('stdio: its arguments'),
      env: z
        .record(z.string(), z.string())
        .default({})
        .describe('stdio: variables for it (the rest of the environment is not passed)'),
      cwd: z.string().min(1).optional().describe('stdio: its working directory (default: the workspace)'),
      read_paths: z
        .array(z.string().min(1))
        .default([])
        .describe(
          'stdio in the sandbox: more folders it may read, e.g. where the server is installed (absolute, or relative to the workspace)',
        ),
      sandbox: z
        .boolean()
        .default(true)
        .describe('stdio: run it inside the sandbox policy of [tools.sandbox] (false: as you)'),
      url: z
        .url({ protocol: /^https?$/ })
        .optional()
        .describe('Streamable HTTP: the endpoint'),
      headers: z.record(z.string(), z.string()).default({}).describe('HTTP: extra headers'),
      bearer_token_env: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
        .optional()
        .describe('HTTP: the variable holding a bearer token for it'),
      enabled: z.boolean().default(true).describe('false: configured but not started'),
      tools: z
        .array(z.string().min(1))
        .optional()
        .describe("allowlist of the server's tool names (unset: all)"),
      safety: z
        .enum(['read_only', 'side_effecting', 'privileged'])
        .optional()
        .describe("every tool's safety tier (unset: read-only when the server says so, else privileged)"),
      max_tools: z
        .int()
        .positive()
        .default(128)
        .describe(
          'the most tools it may list; a server listing more is refused (none of its tools offered). 128 is the most tools a model API takes in one request',
        ),
      max_description_chars: z
        .int()
        .min(200)
        .default(4096)
        .describe(
          "a tool's description longer than this is cut (it goes to the model with every call); it includes Oxydra's note naming the server, so at least 200",
        ),
      max_schema_bytes: z
        .int()
        .positive()
        .default(32768)
        .describe(
          'a tool whose inputSchema is larger than this (JSON, bytes) is left out (it goes to the model with every call)',
        ),
      max_argument_bytes: z
        .int()
        .positive()
        .default(65536)
        .describe(
          "the longest string (bytes) a call's arguments may hold; the arguments in all may hold 4 times this. Longer calls are refused before they leave",
        ),
    })
    .superRefine((server, ctx) => {
      if ((server.command === undefined) === (server.url === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          input: server,
          message: 'set either command (a stdio server) or url (a Streamable HTTP server)',
        });
      }
    }),
);

export const mcpSchema = once(() =>
  z.strictObject({
    servers: z
      .record(z.string().regex(SERVER_NAME, SERVER_NAME_RULE), mcpServerSchema())
      .default({})
      .describe('MCP servers by name'),
    start_timeout_secs: z
      .int()
      .positive()
      .default(10)
      .describe('how long to wait for a server to connect before runs go on without it'),
    call_timeout_secs: z.int().positive().default(60).describe("a tool call's time limit"),
  }),
);

export type McpConfig = z.output<ReturnType<typeof mcpSchema>>;
export type McpServerConfig = z.output<ReturnType<typeof mcpServerSchema>>;

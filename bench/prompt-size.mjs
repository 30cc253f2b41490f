#!/usr/bin/env node
// Prompt bytes: the body of the first model request `oxydra run` sends (OpenAI Chat Completions
// wire), captured by a tiny HTTP server standing in for the model, for
//  (a) the default configuration (memory on, every default tool), target <= 5,500 bytes;
//  (b) the core file and shell tools only (--tools), default system prompt, target <= 4,000 bytes;
//  (c) every tool listed (--tools), the ones offered only on request included (memory_search,
//      memory_update, memory_delete, scratchpad_*): what listing them costs (no target);
// each with a breakdown: system prompt, tool definitions (and per tool), the rest (model,
// user prompt, stream options). Figures are deterministic but for the workspace path and date in
// the system prompt, both of fixed length here.
// Usage: node bench/prompt-size.mjs   (prints one JSON object; needs `npm run build`)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mockWorkspace } from './mock-workspace.mjs';

const bin = fileURLToPath(new URL('../packages/cli/bin/oxydra.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'oxydra-bench-prompt-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

const CORE_TOOLS = [
  'file_read',
  'file_list',
  'file_search',
  'file_write',
  'file_edit',
  'file_delete',
  'shell_exec',
];
const ALL_TOOLS = [
  ...CORE_TOOLS,
  'web_fetch',
  'web_search',
  'memory_save',
  'memory_search',
  'memory_update',
  'memory_delete',
  'scratchpad_read',
  'scratchpad_write',
  'scratchpad_clear',
  'skill_load',
];
const PROMPT = 'Say hello.';
const TARGETS = { default_tools: 5_500, core_tools: 4_000 };

// ---- the model: records each chat completion body, answers "hello" as an SSE stream ----
const bodies = [];
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"not found"}}');
      return;
    }
    bodies.push(Buffer.concat(chunks));
    const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 0, model: 'bench-model' };
    const events = [
      {
        ...base,
        choices: [{ index: 0, delta: { role: 'assistant', content: 'hello' }, finish_reason: null }],
      },
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
      { ...base, choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } },
    ];
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`${events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join('')}data: [DONE]\n\n`);
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/v1`;

/** Runs `oxydra run` in a fresh workspace and returns the first request body it sent. */
async function firstRequest(name, extraArgs) {
  // The caller's environment, as a user's run has it, but for the configuration: HOME and the
  // XDG folders in the throwaway folder and no OXYDRA* variable, so only the workspace's
  // agent.toml is read (a provider key in the environment changes nothing: the mock entry
  // carries its own).
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OXYDRA'))),
    HOME: join(root, 'home'),
    XDG_CONFIG_HOME: join(root, 'home', '.config'),
    XDG_CACHE_HOME: join(root, 'home', '.cache'),
    XDG_STATE_HOME: join(root, 'home', '.local', 'state'),
    XDG_DATA_HOME: join(root, 'home', '.local', 'share'),
    OXYDRA_SYSTEM_CONFIG_DIR: join(root, 'etc'),
  };
  const dir = mockWorkspace(join(root, name), url, '', env);
  const seen = bodies.length;
  const child = spawn(process.execPath, [bin, 'run', '--json', ...extraArgs, PROMPT], {
    cwd: dir,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`oxydra run (${name}) exited ${code}: ${stderr}`);
  if (bodies.length === seen) throw new Error(`oxydra run (${name}) sent no chat request`);
  return bodies[seen];
}

const bytes = (value) => Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));

function breakdown(raw, target) {
  const body = JSON.parse(raw.toString('utf8'));
  const system = body.messages.find((message) => message.role === 'system')?.content ?? '';
  const tools = body.tools ?? [];
  // Each tool's share: its own JSON, and the comma joining it to the next.
  const perTool = Object.fromEntries(
    tools.map((tool) => [tool.function?.name ?? tool.name, bytes(tool)]).sort((a, b) => b[1] - a[1]),
  );
  const toolsBytes = tools.length ? bytes(tools) : 0;
  const systemBytes = bytes(system);
  const memoryBytes = Object.entries(perTool)
    .filter(([name]) => /^(memory|scratchpad)_/.test(name))
    .reduce((sum, [, size]) => sum + size, 0);
  return {
    request_bytes: raw.length,
    system_prompt_bytes: systemBytes,
    tools_bytes: toolsBytes,
    other_bytes: raw.length - systemBytes - toolsBytes,
    tool_count: tools.length,
    memory_tools_bytes: memoryBytes,
    per_tool_bytes: perTool,
    ...(target !== undefined ? { target: `<= ${target} bytes`, meets_target: raw.length <= target } : {}),
  };
}

try {
  const defaults = await firstRequest('default', []);
  const core = await firstRequest('core', ['--tools', CORE_TOOLS.join(',')]);
  const all = await firstRequest('all', ['--tools', ALL_TOOLS.join(',')]);
  const output = {
    benchmark: 'prompt-size',
    node: process.version,
    wire: 'openai-chat',
    default_tools: breakdown(defaults, TARGETS.default_tools),
    core_tools: { tools: CORE_TOOLS, ...breakdown(core, TARGETS.core_tools) },
    all_tools_listed: breakdown(all),
  };
  output.meets_target = output.default_tools.meets_target && output.core_tools.meets_target;
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
} finally {
  server.close();
}

/**
 * `oxydra run --provider local --model ./tiny.gguf`: the real binary runs a (tiny, random-weight)
 * GGUF model in process through node-llama-cpp, streams its text and completes a turn with a
 * grammar-constrained tool call. The model's text is noise: only the path is checked. A plain
 * run on another provider must not load node-llama-cpp at all.
 */
import { writeTinyGguf } from '@oxydra/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { GatewayDaemon, generatedToken } from './gateway-daemon.js';
import { CliSandbox, jsonEvents } from './helpers.js';
import { moduleRecorder } from './module-recorder.js';

/** One CPU thread (a shared CI machine), a bounded answer, and only file_list to call. */
const LOCAL_CONFIG = `config_version = "1.0.0"
[providers.registry.local]
provider_type = "llama_cpp"
gpu_layers = 0
threads = 1
context_size = 4096
tool_choice = "required"
max_output_tokens = 64

[permissions]
allowed_tools = ["file_list"]
`;

let sandbox: CliSandbox | undefined;
let env: AgentEnv | undefined;
let daemon: GatewayDaemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  sandbox?.cleanup();
  sandbox = undefined;
  await env?.close();
  env = undefined;
});

/** Loading and running a model takes seconds: a longer bound than CliSandbox.run's. */
const MODEL_RUN_MS = 120_000;

describe('oxydra run on a local GGUF model (llama_cpp)', () => {
  it('streams, calls the one allowed tool, sends its result back and completes the turn', async () => {
    sandbox = new CliSandbox();
    await writeTinyGguf(`${sandbox.workspace}/tiny.gguf`);
    sandbox.write('.oxydra/agent.toml', LOCAL_CONFIG);
    sandbox.write('notes.txt', 'hello');
    const recorder = moduleRecorder(sandbox.root);
    sandbox.env.NODE_OPTIONS = `--import=${recorder.register}`;
    const result = sandbox.runWithin(
      MODEL_RUN_MS,
      'run',
      '--json',
      '--provider',
      'local',
      '--model',
      './tiny.gguf',
      'List the files',
    );
    expect(result.status, result.stderr).toBe(0);
    const events = jsonEvents(result.stdout);
    const call = events.find((event) => event.type === 'tool_call_end');
    expect(call).toMatchObject({ name: 'file_list', arguments: {} });
    const executed = events.find((event) => event.type === 'tool_execution_end');
    expect(executed).toMatchObject({ name: 'file_list', isError: false });
    expect(executed?.type === 'tool_execution_end' && executed.content).toContain('notes.txt');
    // After the tool's result the model answers in text, streamed delta by delta.
    expect(events.filter((event) => event.type === 'text_delta').length).toBeGreaterThan(1);
    const end = events.at(-1);
    expect(end).toMatchObject({ type: 'run_completed', turns: 2, costUsd: 0 });
    expect(end?.type === 'run_completed' && end.usage.outputTokens).toBeGreaterThan(0);
    expect(recorder.loaded().some((url) => url.includes('/node_modules/node-llama-cpp/'))).toBe(true);
  });

  it('names a missing model file in one line, exit 2', async () => {
    sandbox = new CliSandbox();
    const result = sandbox.runWithin(
      MODEL_RUN_MS,
      'run',
      '--provider',
      'local',
      '--model',
      './absent.gguf',
      'hi',
    );
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /^error: local model "\.\/absent\.gguf" not found .*oxydra models pull <url>/,
    );
  });

  it('a run on another provider loads nothing of node-llama-cpp', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'Hello.' } }]);
    const recorder = moduleRecorder(env.sandbox.root);
    env.sandbox.env.NODE_OPTIONS = `--import=${recorder.register}`;
    const result = await env.run(['run', 'Say hello']);
    expect(result.status, result.stderr).toBe(0);
    const loaded = recorder.loaded();
    expect(loaded.some((url) => url.endsWith('/bundle/main.cjs'))).toBe(true);
    expect(loaded.some((url) => url.includes('node-llama-cpp') || url.includes('/llama-cpp/'))).toBe(false);
  });

  it('the gateway serves it: a streamed /v1/chat/completions turn through the tool call', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, []);
    await writeTinyGguf(`${env.workspace}/tiny.gguf`);
    env.sandbox.write(
      '.oxydra/agent.toml',
      `${LOCAL_CONFIG}\n[selection]\nprovider = "local"\nmodel = "./tiny.gguf"\n`.replace(
        'config_version = "1.0.0"\n',
        'config_version = "1.0.0"\n[runtime]\nturn_timeout_secs = 120\n',
      ),
    );
    daemon = await GatewayDaemon.start(env);
    const response = await fetch(`${daemon.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${generatedToken(env)}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'default',
        stream: true,
        messages: [{ role: 'user', content: 'List the files' }],
      }),
    });
    expect(response.status).toBe(200);
    const body = await response.text();
    const chunks = body
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map(
        (line) =>
          JSON.parse(line.slice(6)) as {
            choices: { delta: { content?: string }; finish_reason: string | null }[];
          },
      );
    // With tool_choice = "required" the first answer is a grammar-held call with no text, so
    // content deltas come only from the second model call, the one after file_list's result.
    expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBeGreaterThan(1);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).not.toBeNull();
    expect(body.trim().endsWith('data: [DONE]')).toBe(true);
  });
});

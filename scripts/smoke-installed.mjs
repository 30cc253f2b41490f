#!/usr/bin/env node
// End-to-end smoke of an installed `oxydra` (the one on PATH, e.g. from `npm install -g
// ./build/oxydra-<version>.tgz`), run with whatever Node runs this script. Offline: the model is
// the installed `oxydra mock-llm`. Checks, each against the real binary:
//   --version; `oxydra demo`; `oxydra run` against the mock on all four wire APIs (a file_read
//   and an answer); a sandboxed shell_exec (PID 1 inside is bubblewrap); a gateway turn with the
//   official `openai` client; the terminal UI chatting through that gateway under tmux; the
//   library entry points used by a program, and typechecked by TypeScript; their exports against
//   the declaration files'; the library program served from its code cache, a forged one refused.
// Usage: node scripts/smoke-installed.mjs [--expect-version X]   (exit 0 when all pass)
// Its harness (the folder, HOME, `check`, the binary and the mock) is scripts/smoke/harness.mjs;
// the library's checks are scripts/smoke/library.mjs.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import {
  check,
  env,
  failureCount,
  freePort,
  oxydra,
  providerConfig,
  root,
  sleep,
  startDaemon,
  startMock,
  workspace,
} from './smoke/harness.mjs';
import { checkLibrary } from './smoke/library.mjs';

const { values } = parseArgs({ options: { 'expect-version': { type: 'string' } } });

await check('oxydra --version', () => {
  const version = oxydra(['--version'], root).trim();
  if (values['expect-version'] && version !== values['expect-version'])
    throw new Error(`printed ${version}, expected ${values['expect-version']}`);
  return `${version} on Node ${process.version}`;
});

/** Runs `oxydra <args>` with XDG_CACHE_HOME=cacheHome and returns the files under cacheHome/oxydra/<name>. */
function cachedBy(args, cacheHome, name, expectStatus = 0) {
  const result = spawnSync('oxydra', args, {
    cwd: root,
    env: { ...env, XDG_CACHE_HOME: cacheHome },
    encoding: 'utf8',
  });
  if (result.status !== expectStatus)
    throw new Error(`oxydra ${args.join(' ')} exited ${result.status}: ${result.stderr.trim().slice(-400)}`);
  const dir = join(cacheHome, 'oxydra', name);
  return {
    dir,
    files: readdirSync(dir, { recursive: true }).filter((file) => !statSync(join(dir, file)).isDirectory()),
  };
}

await check('the caches of compiled code: private, and never a folder others may write', () => {
  // Most commands: the CommonJS bundle's code cache (bin/code-cache.cjs), on every Node.
  const own = join(root, 'cache-own');
  const code = cachedBy(['--help'], own, 'code-cache');
  const mode = statSync(code.dir).mode & 0o777;
  if (mode !== 0o700) throw new Error(`${code.dir} has mode ${mode.toString(8)}, expected 700`);
  if (code.files.length === 0) throw new Error(`nothing was cached in ${code.dir}`);
  const shared = join(root, 'cache-shared');
  const sharedDir = join(shared, 'oxydra', 'code-cache');
  mkdirSync(sharedDir, { recursive: true });
  chmodSync(sharedDir, 0o777);
  if (cachedBy(['--help'], shared, 'code-cache').files.length > 0)
    throw new Error(`a world-writable ${sharedDir} was used`);
  const summary = `code cache: ${code.files.length} files in a 0700 folder; a world-writable one left unused`;
  // The ES module commands (the terminal UI's; here its help): Node's compile cache.
  if (typeof module.enableCompileCache !== 'function' || process.env.NODE_COMPILE_CACHE) return summary;
  const compiled = cachedBy(['tui', '--help'], own, 'compile-cache');
  if (compiled.files.length === 0) throw new Error(`nothing was cached in ${compiled.dir}`);
  return `${summary}; compile cache: ${compiled.files.length} files`;
});

await check('oxydra demo', () => {
  const out = oxydra(['demo'], root);
  if (!out.includes('[x] write the report'))
    throw new Error(`the demo's file is not in its output:\n${out.slice(-400)}`);
});

const WIRES = [
  ['openai-chat', 'openai', '/v1'],
  ['openai-responses', 'openai_responses', '/v1'],
  ['anthropic', 'anthropic', ''],
  ['gemini', 'gemini', ''],
];
for (const [api, type, suffix] of WIRES) {
  await check(`oxydra run against the mock (${api})`, async () => {
    const answer = `The note says: smoke ${api}.`;
    const mock = await startMock(api, [
      { reply: { toolCalls: [{ name: 'file_read', arguments: { path: 'note.txt' } }] } },
      { reply: { text: answer } },
    ]);
    try {
      const dir = workspace(`run-${api}`, providerConfig(type, `${mock.url}${suffix}`));
      writeFileSync(join(dir, 'note.txt'), `smoke ${api}\n`);
      const out = oxydra(['run', 'what does note.txt say?'], dir);
      if (!out.includes(answer))
        throw new Error(`the answer is missing from the output:\n${out.slice(-400)}`);
    } finally {
      mock.stop();
    }
  });
}

await check('a sandboxed shell_exec', async () => {
  const mock = await startMock('openai-chat', [
    { reply: { toolCalls: [{ name: 'shell_exec', arguments: { command: 'cat /proc/1/comm' } }] } },
    { reply: { text: 'done' } },
  ]);
  try {
    const dir = workspace('sandbox', providerConfig('openai', `${mock.url}/v1`));
    const out = oxydra(['run', '--yes', '--sandbox', 'bubblewrap', '--json', 'which process is PID 1?'], dir);
    const result = out
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line))
      .find((event) => event.type === 'tool_execution_end' && event.name === 'shell_exec');
    if (result?.isError !== false || !/\nbwrap$/.test(result.content.trim()))
      throw new Error(
        `PID 1 in the command's view is not bubblewrap: ${JSON.stringify(result ?? out.slice(-400))}`,
      );
    return 'PID 1 is bwrap';
  } finally {
    mock.stop();
  }
});

const TOKEN = 'smoke-gateway-token-0123456789abcdef';
const gatewayAnswer = 'Hello from the gateway smoke.';
const gatewayMock = await startMock('openai-chat', [{ reply: { text: gatewayAnswer }, times: 'always' }]);
const gatewayDir = workspace('gateway', providerConfig('openai', `${gatewayMock.url}/v1`));
const port = await freePort();
let gatewayUp = false;
await check('oxydra gateway and the official openai client', async () => {
  await startDaemon(
    ['gateway', '--bind', `127.0.0.1:${port}`],
    gatewayDir,
    async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
      } catch {
        return false;
      }
    },
    { OXYDRA_GATEWAY_TOKEN: TOKEN },
  );
  gatewayUp = true;
  const client = new OpenAI({ apiKey: TOKEN, baseURL: `http://127.0.0.1:${port}/v1` });
  const completion = await client.chat.completions.create({
    model: 'default',
    messages: [{ role: 'user', content: 'say hello' }],
  });
  const text = completion.choices[0]?.message?.content ?? '';
  if (!text.includes(gatewayAnswer)) throw new Error(`the answer was ${JSON.stringify(text)}`);
});

await check('oxydra tui through the gateway (tmux)', async () => {
  if (!gatewayUp) throw new Error('the gateway did not start');
  if (spawnSync('tmux', ['-V']).status !== 0) throw new Error('tmux is not installed');
  const tmux = (...args) =>
    execFileSync('tmux', ['-L', `oxydra-smoke-${process.pid}`, ...args], { encoding: 'utf8' });
  const command = [
    'env',
    `HOME=${env.HOME}`,
    `PATH=${process.env.PATH}`,
    `OXYDRA_GATEWAY_TOKEN=${TOKEN}`,
    'oxydra',
    'tui',
    '--gateway',
    `ws://127.0.0.1:${port}/ws`,
  ];
  tmux(
    'new-session',
    '-d',
    '-x',
    '120',
    '-y',
    '40',
    '-s',
    'smoke',
    '-c',
    gatewayDir,
    command.map((arg) => `'${arg}'`).join(' '),
  );
  const screen = () => tmux('capture-pane', '-p', '-t', 'smoke');
  const waitFor = async (text) => {
    for (let i = 0; i < 200; i++) {
      if (screen().includes(text)) return;
      await sleep(50);
    }
    throw new Error(`"${text}" never appeared; the screen:\n${screen().trimEnd()}`);
  };
  // Typed once the TUI shows it is connected, and Enter once the text is in the input box: keys
  // sent in one burst while Ink attaches its input handler can lose the Enter (seen on Node 24).
  await waitFor('● connected');
  tmux('send-keys', '-t', 'smoke', '-l', 'say hello');
  await waitFor('› say hello');
  tmux('send-keys', '-t', 'smoke', 'Enter');
  await waitFor(gatewayAnswer);
});
gatewayMock.stop();

await check('a plugin from the docs loads in a project that installs nothing', async () => {
  // examples/plugins/git-context imports @oxydra/plugin and zod, as the docs' recipe does; the
  // project has no node_modules, and oxydra is installed globally: both come from oxydra itself.
  const mock = await startMock('openai-chat', [
    { reply: { toolCalls: [{ name: 'git_log', arguments: {} }] } },
    { reply: { text: 'plugin ok' } },
  ]);
  try {
    const example = fileURLToPath(new URL('../examples/plugins/git-context/', import.meta.url));
    const dir = workspace('plugin-project', providerConfig('openai', `${mock.url}/v1`));
    cpSync(example, join(dir, 'plugins', 'git-context'), { recursive: true });
    appendFileSync(
      join(dir, '.oxydra', 'agent.toml'),
      '\n[plugins.load.git-context]\nfrom = "./plugins/git-context"\n',
    );
    oxydra(['trust', '--yes'], dir); // a plugin runs code: the owner trusts it again
    const out = oxydra(['run', '--json', 'show the history'], dir);
    const ran = out
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line))
      .find((event) => event.type === 'tool_execution_end' && event.name === 'git_log');
    if (!ran) throw new Error(`the plugin's git_log tool did not run: ${out.slice(-400)}`);
    return 'its git_log tool ran';
  } finally {
    mock.stop();
  }
});

await checkLibrary();

const failures = failureCount();
process.stdout.write(failures === 0 ? 'smoke: all passed\n' : `smoke: ${failures} failed\n`);
process.exit(failures === 0 ? 0 : 1);

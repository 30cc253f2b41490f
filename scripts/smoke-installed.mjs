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
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import module from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';

const { values } = parseArgs({ options: { 'expect-version': { type: 'string' } } });
const root = mkdtempSync(join(tmpdir(), 'oxydra-smoke-'));
// As root, commands run as the workspace's owner or "nobody": let "nobody" reach the workspace.
chmodSync(root, 0o755);
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  spawnSync('tmux', ['-L', `oxydra-smoke-${process.pid}`, 'kill-server'], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const env = { ...process.env, HOME: join(root, 'home'), OXYDRA_SYSTEM_CONFIG_DIR: join(root, 'etc') };
let failures = 0;

async function check(name, body) {
  const began = performance.now();
  try {
    const detail = await body();
    process.stdout.write(
      `ok   ${name} (${Math.round(performance.now() - began)} ms)${detail ? `: ${detail}` : ''}\n`,
    );
  } catch (error) {
    failures++;
    process.stdout.write(`FAIL ${name}: ${error.message}\n`);
  }
}

function oxydra(args, cwd, extraEnv = {}) {
  const result = spawnSync('oxydra', args, {
    cwd,
    env: { ...env, ...extraEnv },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `oxydra ${args[0]} exited ${result.status}: ${(result.stderr || result.stdout).trim().slice(-400)}`,
    );
  }
  return result.stdout;
}

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts a long-running `oxydra` command; resolves once `ready()` says so. */
async function startDaemon(args, cwd, ready, extraEnv = {}) {
  const child = spawn('oxydra', args, {
    cwd,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`oxydra ${args[0]} exited: ${output.trim().slice(-400)}`);
    const value = await ready(output);
    if (value) return { child, value };
    await sleep(50);
  }
  throw new Error(`oxydra ${args[0]} did not become ready: ${output.trim().slice(-400)}`);
}

async function startMock(api, steps) {
  const scenario = join(root, `scenario-${api}.json`);
  writeFileSync(scenario, JSON.stringify({ steps }));
  const port = await freePort();
  const { child } = await startDaemon(
    ['mock-llm', '--api', api, '--scenario', scenario, '--port', String(port)],
    root,
    async () => {
      try {
        await fetch(`http://127.0.0.1:${port}/`);
        return true;
      } catch {
        return false;
      }
    },
  );
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

/**
 * A workspace set up as its owner would: the config written, then trusted with `oxydra trust
 * --yes` (its provider address is a key that needs trust; see docs/security.md, Workspace trust).
 */
function workspace(name, config) {
  const dir = join(root, name);
  mkdirSync(join(dir, '.oxydra'), { recursive: true });
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, '.oxydra', 'agent.toml'), config);
  oxydra(['trust', '--yes'], dir);
  return dir;
}

const providerConfig = (type, url) => `[selection]
provider = "mock"
model = "${type === 'anthropic' ? 'claude-sonnet-4-5' : type === 'gemini' ? 'gemini-2.5-flash' : 'gpt-4o-mini'}"

[providers.registry.mock]
provider_type = "${type}"
base_url = "${url}"
api_key = "sk-smoke-0123456789"
`;

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

// The library entry points, as a project that installed the package uses them: a program that
// opens a kernel on the testkit's mock, and TypeScript (strict, no skipLibCheck) over the same.
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

await check('the library: oxydra/kernel, oxydra/plugin, oxydra/testkit (run and typecheck)', async () => {
  const npmRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8', env }).trim();
  const project = join(root, 'library');
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  chmodSync(project, 0o755);
  symlinkSync(join(npmRoot, 'oxydra'), join(project, 'node_modules', 'oxydra'));
  writeFileSync(join(project, 'package.json'), '{"type": "module"}\n');
  const program = `import { mkdirSync, writeFileSync } from 'node:fs';
import { agentConfigSchema, loadAgentConfig, openKernel } from 'oxydra/kernel';
import { definePlugin } from 'oxydra/plugin';
import { startMockLLM } from 'oxydra/testkit';

const plugin = definePlugin({ name: 'smoke', version: '1.0.0' });
const mock = await startMockLLM({ api: 'openai-chat', scenario: [{ reply: { text: 'library ok' } }] });
mkdirSync('.oxydra', { recursive: true });
writeFileSync('.oxydra/agent.toml', \`[selection]
provider = "mock"
model = "gpt-4o-mini"
[providers.registry.mock]
provider_type = "openai"
base_url = "\${mock.url}"
api_key = "sk-smoke-0123456789"
\`);
// The program wrote this workspace's config itself, so it trusts it for this load.
const { config } = await loadAgentConfig({ cwd: process.cwd(), trust: 'this-run' });
// The configuration schema the entry exports, built at its first parse (docs/kernel.md).
if (agentConfigSchema.safeParse({ scheduler: { notify: 'nowhere:1' } }).success)
  throw new Error('agentConfigSchema accepted a notify naming no channel');
const kernel = await openKernel({ workspace: process.cwd(), config, host: 'cli' });
const result = await kernel.agents.spawn({ prompt: 'hi' }).result;
await kernel.close();
await mock.close();
const answer: string = result.text;
console.log(plugin.name, result.status, answer);
`;
  writeFileSync(join(project, 'main.ts'), program);
  writeFileSync(join(project, 'main.mjs'), program.replace(': string', ''));
  const ran = spawnSync(process.execPath, ['main.mjs'], {
    cwd: project,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (ran.stdout.trim() !== 'smoke completed library ok')
    throw new Error(`the program printed ${JSON.stringify(ran.stdout)} ${ran.stderr.slice(0, 600)}`);
  const repoModules = fileURLToPath(new URL('../node_modules/', import.meta.url));
  const tsc = spawnSync(
    process.execPath,
    [
      join(repoModules, 'typescript/bin/tsc'),
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      'false',
      '--target',
      'es2022',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--types',
      'node',
      '--typeRoots',
      join(repoModules, '@types'),
      'main.ts',
    ],
    { cwd: project, env, encoding: 'utf8' },
  );
  if (tsc.status !== 0) throw new Error(`tsc found errors:\n${(tsc.stdout + tsc.stderr).slice(0, 1500)}`);
  return 'ran and typechecked';
});

// The library's ES modules (bundle/<name>.mjs) are generated: each requires its entry of the
// CommonJS bundle through bin/code-cache.cjs and re-exports the names that entry exports. They
// must be the names the declaration file gives as values, no more and no fewer.
await check('the library entry points export what their declaration files declare', () => {
  const npmRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8', env }).trim();
  const project = join(root, 'library');
  const repoModules = fileURLToPath(new URL('../node_modules/', import.meta.url));
  const ts = module.createRequire(import.meta.url)(join(repoModules, 'typescript'));
  const names = ['kernel', 'plugin', 'testkit'];
  const ran = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `for (const name of ${JSON.stringify(names)}) console.log(Object.keys(await import('oxydra/' + name)).sort().join(' '));`,
    ],
    { cwd: project, env, encoding: 'utf8', timeout: 60_000 },
  );
  if (ran.status !== 0) throw new Error(`importing the entries failed: ${ran.stderr.slice(0, 600)}`);
  const exported = ran.stdout.trim().split('\n');
  const counts = [];
  names.forEach((name, i) => {
    const file = join(npmRoot, 'oxydra', 'types', `${name}.d.ts`);
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: [],
    });
    const checker = program.getTypeChecker();
    const declared = checker
      .getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)))
      .filter((symbol) => {
        const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        return (target.flags & ts.SymbolFlags.Value) !== 0;
      })
      .map((symbol) => symbol.name)
      .sort()
      .join(' ');
    if (exported[i] !== declared)
      throw new Error(`oxydra/${name} exports [${exported[i]}], its declaration file declares [${declared}]`);
    counts.push(`${name} ${declared.split(' ').length}`);
  });
  return counts.join(', ');
});

// A program using the library starts from V8's cached code as the CLI does (bin/code-cache.cjs,
// through requireLibrary): the first run writes the cache when the program exits (openKernel made
// the local key: this HOME has none to start with), the second is served from it, and a cache
// file whose MAC does not match (forged) is refused, the program running as usual.
await check('the library starts from its code cache the second time, and refuses a forged one', () => {
  // The same program in a project of its own (its state made under this HOME's key).
  const project = join(root, 'library-cached');
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  cpSync(join(root, 'library', 'main.mjs'), join(project, 'main.mjs'));
  cpSync(join(root, 'library', 'package.json'), join(project, 'package.json'));
  const installed = join(root, 'library', 'node_modules', 'oxydra');
  symlinkSync(readlinkSync(installed), join(project, 'node_modules', 'oxydra'));
  const home = join(root, 'library-home');
  const cacheHome = join(root, 'library-cache');
  const folder = join(cacheHome, 'oxydra', 'code-cache', `${process.version}-${process.arch}`);
  const start = () => {
    const ran = spawnSync(process.execPath, ['main.mjs'], {
      cwd: project,
      env: { ...env, HOME: home, XDG_CACHE_HOME: cacheHome, NODE_DEBUG: 'oxydra_code_cache' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (ran.stdout.trim() !== 'smoke completed library ok')
      throw new Error(`the program printed ${JSON.stringify(ran.stdout)} ${ran.stderr.slice(0, 600)}`);
    return ran.stderr;
  };
  const fromCache = (stderr) => /(\d+) of (\d+) files from the cache/.exec(stderr);
  const first = start();
  const written = /wrote (\d+) of (\d+) files/.exec(first);
  if (!written || written[1] === '0') throw new Error(`the first run wrote no cache: ${first.slice(-600)}`);
  // The second run finds the workspace state the first made, so it may load a few files more
  // (written at its exit); the third loads nothing new.
  const secondLog = start();
  const second = fromCache(secondLog);
  if (!second || second[1] === '0' || /rejected|damaged/.test(secondLog))
    throw new Error(`the second run was not served from the cache: ${secondLog.slice(-600)}`);
  const third = fromCache(start());
  if (!third || third[1] !== third[2])
    throw new Error(`the third run was not served from the cache alone: ${third?.[0] ?? 'no line'}`);
  for (const file of readdirSync(folder)) {
    const path = join(folder, file);
    writeFileSync(path, randomBytes(statSync(path).size));
  }
  const forged = start();
  if (!forged.includes("cache damaged or not made with this user's key") || fromCache(forged)?.[1] !== '0')
    throw new Error(`a forged cache was not refused: ${forged.slice(-600)}`);
  return `${written[1]} files written, ${second[1]} of ${second[2]} from the cache next time, ${third[1]} of ${third[2]} after; forged ones refused`;
});

process.stdout.write(failures === 0 ? 'smoke: all passed\n' : `smoke: ${failures} failed\n`);
process.exit(failures === 0 ? 0 : 1);

/**
 * `oxydra demo`: the whole agent loop with no API key and no network. The testkit's mock
 * OpenAI server runs in this process with a bundled script of model replies; everything else
 * is real: the provider adapter, the loop, the tools writing and editing files and running a
 * command in a fresh temporary workspace. The banner says plainly that the model is scripted.
 */
import { rmSync } from 'node:fs';
import { chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Override } from '@oxydra/config';
import { isLifecycleEvent } from '@oxydra/kernel';
import { BWRAP, detectSandbox, NOBODY, sandboxIdentity } from '@oxydra/sandbox/detect';
import { startMockLLM } from '@oxydra/testkit';
import type { StreamEvent } from '@oxydra/types';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { TextRenderer } from '../run/render-text.js';
import { openCliKernel } from '../run/spawn-flags.js';
import { onInterrupt } from '../run/terminal-run.js';
import { DEMO_SCENARIO } from './demo-scenario.js';
import { colorFor } from './run.js';

export const DEMO_PROMPT =
  'Create a TODO list in notes/todo.md with three tasks, mark the first one done, count the open tasks with a shell command, then read the file back.';

function set(path: string, raw: string): Override {
  return { path: path.split('.'), raw, source: 'oxydra demo' };
}

async function tree(dir: string, prefix = ''): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const lines: string[] = [];
  for (const entry of entries) {
    if (entry.name === '.oxydra') continue;
    lines.push(`${prefix}${entry.name}${entry.isDirectory() ? '/' : ''}`);
    if (entry.isDirectory()) lines.push(...(await tree(join(dir, entry.name), `${prefix}  `)));
  }
  return lines;
}

export async function runDemo(options: { keep?: boolean; json?: boolean }): Promise<number> {
  const workspace = await mkdtemp(join(tmpdir(), 'oxydra-demo-'));
  // `oxydra demo | head` ends the process at the first write after the reader left (main.ts,
  // exitQuietlyOnBrokenPipe), before the finally below: the throwaway workspace goes then too.
  const removeAtExit = () => rmSync(workspace, { recursive: true, force: true });
  if (!options.keep) process.once('exit', removeAtExit);
  const mock = await startMockLLM({ api: 'openai-chat', scenario: DEMO_SCENARIO });
  const out = options.json ? process.stderr : process.stdout;
  try {
    out.write(
      [
        "Oxydra demo: the model is SCRIPTED. The testkit's mock OpenAI server plays a fixed script of",
        `replies at ${mock.url}; no API key, no network. Everything else is real: the OpenAI adapter,`,
        `the agent loop, and tools changing files and running a command in ${workspace}`,
        '(shell commands are approved automatically for this demo).',
        '',
        `task: ${DEMO_PROMPT}`,
        '',
      ].join('\n'),
    );
    const kernel = await openDemoKernel(workspace, mock.url, out);
    const run = kernel.agents.spawn({ prompt: DEMO_PROMPT, approval: 'auto' });
    const release = onInterrupt(() => void run.cancel('interrupted by the user (Ctrl+C)'));
    const renderer = new TextRenderer({
      stdout: out,
      stderr: process.stderr,
      color: colorFor(process.stderr),
    });
    try {
      for await (const { event } of run.events) {
        if (isLifecycleEvent(event)) continue;
        if (options.json) process.stdout.write(`${JSON.stringify(event satisfies StreamEvent)}\n`);
        else renderer.handle(event);
      }
    } finally {
      release();
      await kernel.close();
    }
    const result = await run.result;
    if (result.status !== 'completed') return EXIT_FAILURE;
    const todo = await readFile(join(workspace, 'notes', 'todo.md'), 'utf8');
    out.write(
      `\nThe workspace now holds:\n${(await tree(workspace)).map((line) => `  ${line}`).join('\n')}\n\nnotes/todo.md:\n${todo
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n')}\n`,
    );
    out.write(
      options.keep
        ? `Kept the workspace at ${workspace}\n`
        : 'Next: run a real agent with `oxydra init`, your API key, and `oxydra run "<task>"`.\n',
    );
    return EXIT_OK;
  } finally {
    await mock.close();
    process.off('exit', removeAtExit);
    if (!options.keep) await rm(workspace, { recursive: true, force: true });
  }
}

/**
 * The demo's one command runs in the OS sandbox when the machine has one. As root, commands run
 * as "nobody", so the demo's own throwaway workspace is handed to nobody; without any sandbox the
 * demo still shows the loop, running its one read-only command directly, and says so (a real
 * run would refuse: see [tools.sandbox] mode).
 */
async function demoSandbox(workspace: string, out: NodeJS.WritableStream): Promise<Override[]> {
  if (process.geteuid?.() === 0) await chown(workspace, NOBODY.uid, NOBODY.gid);
  const detection = detectSandbox(BWRAP, sandboxIdentity(workspace, 'auto'));
  if (detection.tier !== 'none') return [];
  out.write(
    `note: no sandbox on this machine (${detection.degradation ?? 'none available'}); the demo runs its one read-only command directly in its temp workspace. Real runs refuse shell commands until you fix it${detection.fix ? ` (${detection.fix})` : ''} or choose --sandbox none.\n\n`,
  );
  return [set('tools.sandbox.mode', 'none')];
}

/** The demo's provider is the mock, whatever the user's own configuration selects. */
async function openDemoKernel(workspace: string, url: string, out: NodeJS.WritableStream) {
  const sandbox = await demoSandbox(workspace, out);
  return openCliKernel(
    {},
    {
      workspace,
      overrides: [
        set('providers.registry.demo.provider_type', 'openai'),
        set('providers.registry.demo.base_url', url),
        set('selection.provider', 'demo'),
        set('selection.model', 'scripted-model'),
        set('selection.fallbacks', '[]'),
        set('tools.shell.enabled', 'true'),
        // The demo's workspace is thrown away: no memory database in it.
        set('memory.enabled', 'false'),
        ...sandbox,
      ],
    },
  );
}

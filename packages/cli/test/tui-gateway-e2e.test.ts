/**
 * The whole chain, all real: the testkit's mock LLM, `oxydra gateway` serving a workspace that
 * points at it, and `oxydra tui` in a terminal (tmux) finding the token file the gateway wrote.
 */
import type { ChildProcess } from 'node:child_process';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv } from './agent-env.js';
import { OXYDRA_BIN } from './helpers.js';
import { TmuxPane, tmuxAvailable } from './tui-tmux.js';

let env: AgentEnv | undefined;
let gateway: ChildProcess | undefined;
let pane: TmuxPane | undefined;
afterEach(async () => {
  pane?.kill();
  if (gateway && gateway.exitCode === null && gateway.signalCode === null) {
    const exited = new Promise((resolve) => gateway!.once('exit', resolve));
    gateway.kill('SIGTERM');
    await exited;
  }
  await env?.close();
  pane = undefined;
  gateway = undefined;
  env = undefined;
});

/** Start `oxydra gateway` on a free port; resolves with its WebSocket URL once it listens. */
async function startGateway(agent: AgentEnv): Promise<string> {
  gateway = agent.spawn(['gateway', '--bind', '127.0.0.1:0', '--log-format', 'json']);
  let output = '';
  gateway.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  gateway.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  await pollUntil(
    () => /ws:\/\/127\.0\.0\.1:\d+\/ws/.test(output) || gateway!.exitCode !== null,
    'the gateway to listen',
    { timeoutMs: 20_000 },
  );
  const url = /ws:\/\/127\.0\.0\.1:\d+\/ws/.exec(output)?.[0];
  if (!url) throw new Error(`the gateway did not start:\n${output}`);
  return url;
}

/** `oxydra tui` on the gateway at `url` in a fresh pane (no token variable: it reads the gateway's file). */
function startTui(agent: AgentEnv, url: string, args: string[] = []): TmuxPane {
  pane?.kill();
  pane = new TmuxPane(agent.sandbox.root);
  pane.start(
    [process.execPath, OXYDRA_BIN, 'tui', '--gateway', url, ...args],
    {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: agent.sandbox.home,
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
    },
    agent.workspace,
  );
  return pane;
}

/** Type a prompt and send it once it shows in the input box. */
async function submit(screen: TmuxPane, prompt: string): Promise<void> {
  screen.type(prompt);
  await screen.waitForText(`› ${prompt}`);
  screen.press('Enter');
}

describe.skipIf(!tmuxAvailable())('oxydra tui with the real oxydra gateway', () => {
  it('streams a mock model answer through the gateway, with its usage, and quits on Ctrl+C', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, [
      { reply: { text: 'The answer is four, as always.', usage: { input: 1000, output: 50 } } },
    ]);
    const url = await startGateway(env);
    const pane = startTui(env, url);
    await pane.waitForText(`connected to ${url}`);
    await submit(pane, 'What is two plus two?');

    const done = await pane.waitForScreen(
      (s) => s.includes('The answer is four, as always.') && /│ idle │ 1\.0k in · 50 out/.test(s),
      'the answer and its usage',
    );
    expect(done).toContain('you: What is two plus two?');
    expect(done.split('The answer is four').length - 1).toBe(1); // streamed once, not repeated at the end
    expect(done).not.toContain('thinking'); // a model call is not a history line
    expect(env.requestText(0)).toContain('What is two plus two?');

    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(0);
    expect(pane.output()).toMatch(/session \S+ \(resume with oxydra tui --session \S+\)/);
  });

  it('draws a Markdown answer, streamed word by word, as formatted text', async () => {
    const answer = [
      '## The plan',
      '',
      'Use **bold moves** and run `npm test`:',
      '',
      '- first step',
      '- second step, see [the guide](https://example.com/guide)',
      '',
      '```sh',
      'echo hello',
      '```',
      '',
      '| Tool | Runs |',
      '|------|-----:|',
      '| lint | 3 |',
      '| test | 12 |',
      '',
      '> Quoted advice.',
    ].join('\n');
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, [{ reply: { text: answer } }]);
    const url = await startGateway(env);
    const pane = startTui(env, url);
    await pane.waitForText(`connected to ${url}`);
    await submit(pane, 'Give me a plan');

    const done = await pane.waitForScreen(
      (s) => s.includes('Quoted advice.') && /│ idle │/.test(s),
      'the whole answer with the turn over',
    );
    const lines = done.split('\n');
    expect(lines).toContain('The plan');
    expect(lines).toContain('Use bold moves and run npm test:');
    expect(lines).toContain('• first step');
    expect(lines).toContain('• second step, see the guide (https://example.com/guide)');
    expect(lines).toContain('  ┌─ sh');
    expect(lines).toContain('  │ echo hello');
    expect(lines).toContain('Tool │ Runs');
    expect(lines).toContain('lint │    3');
    expect(lines).toContain('test │   12');
    expect(lines).toContain('│ Quoted advice.');
    for (const mark of ['**', '##', '```', '|---', '](']) expect(done).not.toContain(mark);
    // Styles reach the terminal: the bold words bold (SGR 1), the code span green (SGR 32).
    const styled = pane.styledScreen();
    const sgr = (code: string) => `\u001b\\[(?:[\\d;]*;)?${code}m(?:\u001b\\[[\\d;]*m)*`;
    expect(styled).toMatch(new RegExp(`${sgr('1')}bold moves`));
    expect(styled).toMatch(new RegExp(`${sgr('32')}npm test`));

    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(0);
  });

  it('resumes a session by the short id it printed, with the earlier turns', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, [
      { reply: { text: 'Noted, the colour is teal.' } },
      { reply: { text: 'It was teal.' } },
    ]);
    const url = await startGateway(env);
    let screen = startTui(env, url);
    await screen.waitForText(`connected to ${url}`);
    await submit(screen, 'Remember the colour teal');
    await screen.waitForText('Noted, the colour is teal.');
    screen.press('C-c');
    expect(await screen.waitForExit()).toBe(0);
    const short = /session (\S+) \(resume with oxydra tui --session \1\)/.exec(screen.output())?.[1];
    expect(short).toMatch(/^[0-9a-f]{8}$/);

    screen = startTui(env, url, ['--session', short!]);
    await screen.waitForText(`session ${short} · /help`);
    await submit(screen, 'Which colour?');
    await screen.waitForText('It was teal.');
    expect(env.requestText(1)).toContain('Remember the colour teal');
    screen.press('C-c');
    expect(await screen.waitForExit()).toBe(0);
  });

  it('shows why a tool failed', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, [
      { reply: { toolCalls: [{ name: 'file_read', arguments: { path: 'notes/missing.md' } }] } },
      { reply: { text: 'That file does not exist.' } },
    ]);
    const url = await startGateway(env);
    const pane = startTui(env, url);
    await pane.waitForText(`connected to ${url}`);
    await submit(pane, 'Read my notes');
    const done = await pane.waitForText('That file does not exist.');
    // The reason the model was given, on the failure line: not just "failed".
    const failure = done.split('\n').find((line) => line.includes('✗'));
    expect(failure).toMatch(/✗ \[1\/\d+\] file_read failed: \S.*notes\/missing\.md/);
    expect(env.requestText(1)).toContain('notes/missing.md');
    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(0);
  });
});

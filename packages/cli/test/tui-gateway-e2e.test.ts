/**
 * The whole chain, all real: the testkit's mock LLM, `oxydra gateway` serving a workspace that
 * points at it, and `oxydra tui` in a terminal (tmux) finding the token file the gateway wrote.
 * Each test has a workspace, gateway and tmux server of its own, stopped when it ends; they run one
 * after another (side by side, CI's load made the terminal read keystrokes late).
 */
import type { ScenarioStep } from '@oxydra/testkit';
import { pollUntil } from '@oxydra/testkit/helpers';
import { describe, it, type TestContext } from 'vitest';
import { AgentEnv } from './agent-env.js';
import { OXYDRA_BIN } from './helpers.js';
import { TmuxPane, tmuxAvailable } from './tui-tmux.js';

interface Chain {
  env: AgentEnv;
  /** The gateway's WebSocket URL. */
  url: string;
  /** `oxydra tui` on the gateway in a fresh pane (the one before ended; no token variable: it reads the gateway's file). */
  startTui(args?: string[]): TmuxPane;
}

/**
 * The mock model with `steps`, a workspace pointing at it and `oxydra gateway` on a free port,
 * once it listens; when the test ends its panes, the gateway and the workspace go, in that order.
 */
async function startChain(context: TestContext, steps: ScenarioStep[]): Promise<Chain> {
  const env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, steps);
  context.onTestFinished(() => env.close());
  const gateway = env.spawn(['gateway', '--bind', '127.0.0.1:0', '--log-format', 'json']);
  context.onTestFinished(async () => {
    if (gateway.exitCode !== null || gateway.signalCode !== null) return;
    const exited = new Promise((resolve) => gateway.once('exit', resolve));
    gateway.kill('SIGTERM');
    await exited;
  });
  let output = '';
  gateway.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  gateway.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  await pollUntil(
    () => /ws:\/\/127\.0\.0\.1:\d+\/ws/.test(output) || gateway.exitCode !== null,
    'the gateway to listen',
    { timeoutMs: 20_000 },
  );
  const url = /ws:\/\/127\.0\.0\.1:\d+\/ws/.exec(output)?.[0];
  if (!url) throw new Error(`the gateway did not start:\n${output}`);
  let pane: TmuxPane | undefined;
  context.onTestFinished(() => pane?.kill());
  const startTui = (args: string[] = []) => {
    pane?.kill();
    pane = new TmuxPane(env.sandbox.root);
    pane.start(
      [process.execPath, OXYDRA_BIN, 'tui', '--gateway', url, ...args],
      {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: env.sandbox.home,
        TERM: 'xterm-256color',
        LANG: 'C.UTF-8',
      },
      env.workspace,
    );
    return pane;
  };
  return { env, url, startTui };
}

/** Type a prompt and send it once it shows in the input box. */
async function submit(screen: TmuxPane, prompt: string): Promise<void> {
  screen.type(prompt);
  await screen.waitForText(`› ${prompt}`);
  screen.press('Enter');
}

describe.skipIf(!tmuxAvailable())('oxydra tui with the real oxydra gateway', () => {
  it('streams a mock model answer through the gateway, with its usage, and quits on Ctrl+C', async (context) => {
    const { expect } = context;
    const { env, url, startTui } = await startChain(context, [
      { reply: { text: 'The answer is four, as always.', usage: { input: 1000, output: 50 } } },
    ]);
    const pane = startTui();
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
    expect(await pane.waitForExit()).toBe(130);
    expect(pane.output()).toMatch(/session \S+ \(resume with oxydra tui --session \S+\)/);
  });

  it('draws a Markdown answer, streamed word by word, as formatted text', async (context) => {
    const { expect } = context;
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
    const { url, startTui } = await startChain(context, [{ reply: { text: answer } }]);
    const pane = startTui();
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
    expect(await pane.waitForExit()).toBe(130);
  });

  it('resumes a session by the short id it printed, with the earlier turns', async (context) => {
    const { expect } = context;
    const { env, url, startTui } = await startChain(context, [
      { reply: { text: 'Noted, the colour is teal.' } },
      { reply: { text: 'It was teal.' } },
    ]);
    let screen = startTui();
    await screen.waitForText(`connected to ${url}`);
    await submit(screen, 'Remember the colour teal');
    await screen.waitForText('Noted, the colour is teal.');
    screen.press('C-c');
    expect(await screen.waitForExit()).toBe(130);
    const short = /session (\S+) \(resume with oxydra tui --session \1\)/.exec(screen.output())?.[1];
    expect(short).toMatch(/^[0-9a-f]{8}$/);

    screen = startTui(['--session', short!]);
    await screen.waitForText(`session ${short} · /help`);
    await submit(screen, 'Which colour?');
    await screen.waitForText('It was teal.');
    expect(env.requestText(1)).toContain('Remember the colour teal');
    screen.press('C-c');
    expect(await screen.waitForExit()).toBe(130);
  });

  it('shows why a tool failed', async (context) => {
    const { expect } = context;
    const { env, url, startTui } = await startChain(context, [
      { reply: { toolCalls: [{ name: 'file_read', arguments: { path: 'notes/missing.md' } }] } },
      { reply: { text: 'That file does not exist.' } },
    ]);
    const pane = startTui();
    await pane.waitForText(`connected to ${url}`);
    await submit(pane, 'Read my notes');
    const done = await pane.waitForText('That file does not exist.');
    // The reason the model was given, on the failure line: not just "failed".
    const failure = done.split('\n').find((line) => line.includes('✗'));
    expect(failure).toMatch(/✗ \[1\/\d+\] file_read failed: \S.*notes\/missing\.md/);
    expect(env.requestText(1)).toContain('notes/missing.md');
    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(130);
  });
});

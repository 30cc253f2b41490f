/**
 * `oxydra tui` end to end: the real binary in a real terminal (tmux), talking over a real
 * WebSocket to a real gateway on a real kernel (the testkit's scripted model), driven by
 * keystrokes and checked on screen. A TCP link between them drops the connection on demand.
 * Each test has a gateway, sandbox and tmux server of its own, stopped when it ends. They run one
 * after another: side by side, under CI's load, a pasted prompt's keystrokes were read late.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Gate,
  type ModelCall,
  type Script,
  startTestGateway,
  type TestGateway,
  TOKEN,
  toolCallReply,
} from '@oxydra/gateway/testing/helpers';
import { freePort, pollUntil, TcpLink } from '@oxydra/testkit/helpers';
import { newTuiClient } from '@oxydra/tui';
import { shortSessionId } from '@oxydra/types';
import { describe, it, type TestContext } from 'vitest';
import { CliSandbox, OXYDRA_BIN } from './helpers.js';
import { TmuxPane, tmuxAvailable } from './tui-tmux.js';

/**
 * A real gateway answering with `script`; `linked`: reached through a TCP link that can cut.
 * Both stop when the test ends (after its panes and sandboxes: cleanups run last first).
 */
async function startGateway(
  context: TestContext,
  script?: Script,
  linked = false,
): Promise<{ env: TestGateway; url: string; link?: TcpLink }> {
  // Through the link the Host header names the link's port: the gateway is told 127.0.0.1 is its name.
  const env = await startTestGateway(linked ? { config: { gateway: { public_hosts: ['127.0.0.1'] } } } : {});
  context.onTestFinished(() => env.cleanup());
  if (script) env.model.script = script;
  if (!linked) return { env, url: env.wsUrl };
  const link = await TcpLink.start({ port: env.gateway.port });
  context.onTestFinished(() => link.stop());
  return { env, url: `ws://127.0.0.1:${link.port}/ws`, link };
}

function startPane(
  context: TestContext,
  url: string,
  options: { args?: string[]; token?: string; env?: Record<string, string> },
) {
  const sandbox = new CliSandbox();
  context.onTestFinished(() => sandbox.cleanup());
  const pane = new TmuxPane(sandbox.root);
  context.onTestFinished(() => pane.kill());
  pane.start(
    [process.execPath, OXYDRA_BIN, 'tui', '--gateway', url, ...(options.args ?? [])],
    {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: sandbox.home,
      OXYDRA_SYSTEM_CONFIG_DIR: sandbox.system,
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
      OXYDRA_GATEWAY_TOKEN: options.token ?? TOKEN,
      ...options.env,
    },
    sandbox.workspace,
  );
  return pane;
}

async function startTui(
  context: TestContext,
  options: {
    script?: Script;
    linked?: boolean;
    args?: string[];
    token?: string;
    env?: Record<string, string>;
  } = {},
) {
  const { env, url, link } = await startGateway(context, options.script, options.linked);
  return { env, url, link, pane: startPane(context, url, options) };
}

/** Streams `parts` as one model reply, waiting at each gate until it is released. */
function reply(...parts: (string | Gate)[]): Script {
  return async function* () {
    for (const part of parts) {
      if (part instanceof Gate) await part.opened;
      else yield { type: 'text_delta', text: part };
    }
    yield { type: 'usage', usage: { inputTokens: 1200, outputTokens: 345 } };
    yield { type: 'finish', reason: 'stop' };
  };
}

/**
 * Type a line and press Enter once it shows in the prompt: text and Enter arriving in one read
 * look like a paste, whose line breaks the editor keeps instead of sending.
 */
async function submit(pane: TmuxPane, text: string): Promise<void> {
  pane.type(text);
  await pane.waitForText(`› ${text}`);
  pane.press('Enter');
}

/** The status bar: the last non-empty line of the screen. */
/**
 * Waits until `text` is on screen and the status bar matches `status`: Ink prints finished lines
 * first and redraws the bar after, so one capture can show the line and the old bar.
 */
function waitForTextAndStatus(pane: TmuxPane, text: string, status: string | RegExp): Promise<string> {
  const matches = (bar: string) => (typeof status === 'string' ? bar.includes(status) : status.test(bar));
  return pane.waitForScreen(
    (s) => s.includes(text) && matches(statusBar(s)),
    `"${text}" with the status bar showing ${status}`,
  );
}

function statusBar(screen: string): string {
  return (
    screen
      .split('\n')
      .filter((line) => line.trim() !== '')
      .at(-1) ?? ''
  );
}

describe.skipIf(!tmuxAvailable())('oxydra tui in a terminal (tmux)', () => {
  it('streams the answer to a typed prompt, shows tokens and cost, and quits on Ctrl+C when idle', async (context) => {
    const { expect } = context;
    const gate = new Gate();
    const answer = reply('Two plus two ', gate, 'is four.\nAnything else?');
    const { env, pane } = await startTui(context, {
      // First a file_read of notes.txt, then the answer, held half way.
      script: (call: ModelCall) =>
        call.messages.at(-1)?.role === 'tool'
          ? answer(call)
          : (async function* () {
              yield* toolCallReply('c1', 'file_read', { path: 'notes.txt' });
            })(),
    });
    writeFileSync(join(env.workspace, 'notes.txt'), 'two plus two\n');
    await waitForTextAndStatus(
      pane,
      'connected to ws://127.0.0.1:',
      /● connected │ session [0-9a-f]{8} │ idle │ 0 in · 0 out │ Ctrl\+C quit · \/help/,
    );

    await submit(pane, 'What is two plus two?');

    // Held half way: the partial reply is on screen and the status bar says streaming.
    const streaming = await waitForTextAndStatus(pane, 'Two plus two', '│ streaming │');
    expect(streaming).toContain('you: What is two plus two?');
    expect(streaming).toMatch(/⚙ \[1\/4\] running file_read\b.*notes\.txt/);
    expect(statusBar(streaming)).toContain('Ctrl+C cancel');

    gate.release();
    const done = await pane.waitForScreen(
      (s) => s.includes('Anything else?') && statusBar(s).includes('idle'),
      'the completed turn',
    );
    expect(done).toContain('Two plus two is four.');
    // The tool call's usage is unknown; the answer's 1,200 in and 345 out, priced by the catalog.
    expect(statusBar(done)).toMatch(/1\.2k in · 345 out · \$0\.\d{4}/);
    expect(env.model.calls[0]?.prompt).toBe('What is two plus two?');

    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(130);
    const session = shortSessionId(env.spawns[0]!.sessionId!);
    expect(pane.screen()).toContain(`session ${session} (resume with oxydra tui --session ${session})`);
  });

  it('draws the interactive screen in a terminal even when the shell exports CI=true', async (context) => {
    const { expect } = context;
    // Ink alone would draw only finished lines under CI=true: no input box, no status bar.
    const { env, pane } = await startTui(context, {
      script: reply('Answered under CI.'),
      env: { CI: 'true', CONTINUOUS_INTEGRATION: '1' },
    });
    await waitForTextAndStatus(
      pane,
      'connected to ws://127.0.0.1:',
      /● connected │ session [0-9a-f]{8} │ idle/,
    );
    await submit(pane, 'hello from a CI shell');
    await pane.waitForScreen(
      (s) => s.includes('Answered under CI.') && statusBar(s).includes('idle'),
      'the answer with the status bar back to idle',
    );
    expect(env.model.calls[0]?.prompt).toBe('hello from a CI shell');
    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(130);
  });

  it('sends a multi-line prompt (Alt+Enter, Ctrl+J), cancels a running turn on Ctrl+C, then quits', async (context) => {
    const { expect } = context;
    const { env, pane } = await startTui(context, { script: reply('Working on it', new Gate()) });
    await pane.waitForText('connected to');
    pane.type('line one');
    pane.press('M-Enter');
    pane.type('line two');
    pane.press('C-j');
    pane.type('line three');
    await pane.waitForText('line three');
    pane.press('Enter');
    await pane.waitForText('Working on it');
    expect(env.model.calls[0]?.prompt).toBe('line one\nline two\nline three');

    pane.press('C-c');
    const cancelled = await pane.waitForScreen(
      (s) => s.includes('turn cancelled') && statusBar(s).includes('idle'),
      'the cancelled turn',
    );
    expect(cancelled).toContain('cancelling the turn');
    expect(env.spawns[0]?.killed).toBe(true);
    expect(pane.exitStatus()).toBeUndefined(); // the first Ctrl+C did not quit

    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(130);
  });

  it('keeps a bracketed paste in the prompt, line breaks and all, until Enter sends it; the mode is off after quitting', async (context) => {
    const { expect } = context;
    const { env, pane } = await startTui(context, { script: reply('Got the pasted notes.') });
    await pane.waitForText('connected to');
    // Ends in a line break: pasted bare, that CR would send the prompt at once.
    pane.paste('first pasted line\n\tsecond pasted line\n');
    await pane.waitForScreen(
      (s) => s.includes('› first pasted line') && s.includes('    second pasted line'),
      'the pasted lines in the input box',
    );
    expect(pane.screen()).not.toContain('[200~');
    expect(env.spawns).toHaveLength(0);

    pane.press('Enter');
    // The answer with the turn over: a Ctrl+C while it still runs cancels it instead of quitting.
    await waitForTextAndStatus(pane, 'Got the pasted notes.', 'idle');
    expect(env.model.calls[0]?.prompt).toBe('first pasted line\n  second pasted line');

    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(130);
    // The shell's terminal again: a paste now arrives bare, echoed by the tty as typed text.
    pane.paste('after-exit-paste');
    const after = await pane.waitForText('after-exit-paste');
    expect(after).not.toContain('[200~');
  });

  it('runs /new, /sessions, /switch and /status, and survives a dropped connection', async (context) => {
    const { expect } = context;
    const { url, link, pane } = await startTui(context, { linked: true });
    const first = (await pane.waitForText('connected to')).match(/session ([0-9a-f]{8})/)![1]!;

    await submit(pane, '/new research');
    const created = await pane.waitForText('"research" (agent default)');
    const second = created.match(/new session ([0-9a-f]{8})/)![1]!;
    await waitForTextAndStatus(pane, '"research" (agent default)', `session ${second}`);

    await submit(pane, '/sessions');
    const listed = await pane.waitForText('/switch <id> switches');
    expect(listed).toContain(`* ${second}  "research" default · gateway`);
    expect(listed).toContain(`  ${first}  default · gateway`);

    // The short id as shown (the id's random tail) is what /switch takes.
    await submit(pane, `/switch ${first}`);
    await waitForTextAndStatus(pane, `switched to session ${first}`, `session ${first}`);

    link!.cut();
    await pane.waitForText('connection lost');
    await waitForTextAndStatus(pane, `reconnected; session ${first} resumed`, '● connected');

    await submit(pane, '/status');
    await pane.waitForText(`gateway ${url}: healthy`);
    await submit(pane, '/exit');
    expect(await pane.waitForExit()).toBe(0);
  });

  it('resumes a session with --session, joining the turn running in it', async (context) => {
    const { expect } = context;
    const gate = new Gate();
    const { env, url } = await startGateway(context, reply('begun, ', gate, 'finished.'));
    // Another client starts a turn in a session and leaves it running.
    const other = newTuiClient({ url, token: TOKEN, healthIntervalMs: 60_000 });
    const ack = await other.connect();
    other.send('send_turn', {
      session_id: ack.session.session_id,
      turn_id: 'turn-elsewhere',
      prompt: 'start',
    });
    await pollUntil(() => env.model.calls.length === 1, 'the turn to reach the model');
    await other.close();

    const pane = startPane(context, url, { args: ['--session', ack.session.session_id] });
    await waitForTextAndStatus(
      pane,
      'a turn is running in this session; its reply streams below',
      `session ${shortSessionId(ack.session.session_id)} │ streaming`,
    );
    gate.release();
    const done = await pane.waitForScreen(
      (s) => s.includes('finished.') && statusBar(s).includes('idle'),
      'the turn to end',
    );
    expect(statusBar(done)).toContain('1.2k in · 345 out');
    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(130);
  });

  it('exits 1 with one line when no gateway is running', async (context) => {
    const { expect } = context;
    const url = `ws://127.0.0.1:${await freePort()}/ws`;
    const pane = startPane(context, url, {});
    expect(await pane.waitForExit()).toBe(1);
    expect(pane.output()).toBe(`error: no gateway at ${url}; start one with \`oxydra gateway\``);
  });

  it('exits 2 when the gateway refuses the token, without showing it', async (context) => {
    const { expect } = context;
    const { pane } = await startTui(context, { token: 'not-the-right-token-77' });
    expect(await pane.waitForExit()).toBe(2);
    const screen = pane.output();
    expect(screen.split('\n')).toHaveLength(2);
    expect(screen).toContain('refused the token (HTTP 401)');
    expect(screen).toContain('hint: the token from OXYDRA_GATEWAY_TOKEN must be the one the gateway uses');
    expect(screen).not.toContain('not-the-right-token-77');
  });
});

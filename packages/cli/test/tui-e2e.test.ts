/**
 * `oxydra tui` end to end: the real binary in a real terminal (tmux), talking over a real
 * WebSocket to a protocol-speaking stub gateway, driven by keystrokes and checked on screen.
 */

import { MockGateway, type TurnStep } from '@oxydra/testkit';
import { pollUntil } from '@oxydra/testkit/helpers';
import { GatewayClient } from '@oxydra/tui';
import { shortSessionId } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { CliSandbox, OXYDRA_BIN } from './helpers.js';
import { TmuxPane, tmuxAvailable } from './tui-tmux.js';

const TOKEN = 'gw-e2e-token-9d2f6c31a8';

let sandbox: CliSandbox | undefined;
let pane: TmuxPane | undefined;
let stub: MockGateway | undefined;
afterEach(async () => {
  pane?.kill();
  await stub?.close();
  sandbox?.cleanup();
  pane = undefined;
  stub = undefined;
  sandbox = undefined;
});

async function startTui(
  options: {
    script?: (prompt: string) => TurnStep[];
    args?: string[];
    token?: string;
    stub?: MockGateway;
    env?: Record<string, string>;
  } = {},
) {
  stub =
    options.stub ??
    (await MockGateway.start({ token: TOKEN, ...(options.script ? { script: options.script } : {}) }));
  sandbox = new CliSandbox();
  pane = new TmuxPane(sandbox.root);
  pane.start(
    [process.execPath, OXYDRA_BIN, 'tui', '--gateway', stub.url, ...(options.args ?? [])],
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
  return { stub, pane };
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
  it('streams the answer to a typed prompt, shows tokens and cost, and quits on Ctrl+C when idle', async () => {
    const { stub, pane } = await startTui({
      script: () => [
        { progress: { kind: 'tool_started', message: 'running file_read notes.txt' } },
        { delta: 'Two plus two ' },
        { hold: true },
        { delta: 'is four.\nAnything else?' },
      ],
    });
    await waitForTextAndStatus(
      pane,
      'connected to ws://127.0.0.1:',
      /● connected │ session [0-9a-f]{8} │ idle │ 0 in · 0 out │ Ctrl\+C quit · \/help/,
    );

    await submit(pane, 'What is two plus two?');

    // Held half way: the partial reply is on screen and the status bar says streaming.
    const streaming = await waitForTextAndStatus(pane, 'Two plus two', '│ streaming │');
    expect(streaming).toContain('you: What is two plus two?');
    expect(streaming).toContain('⚙ [1/8] running file_read notes.txt');
    expect(statusBar(streaming)).toContain('Ctrl+C cancel');

    stub.release();
    const done = await pane.waitForScreen(
      (s) => s.includes('Anything else?') && statusBar(s).includes('idle'),
      'the completed turn',
    );
    expect(done).toContain('Two plus two is four.');
    expect(statusBar(done)).toContain('1.2k in · 345 out · $0.0031');
    expect(stub.framesOf('send_turn')[0]?.payload.prompt).toBe('What is two plus two?');

    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(0);
    const session = shortSessionId(stub.framesOf('send_turn')[0]!.payload.session_id);
    expect(pane.screen()).toContain(`session ${session} (resume with oxydra tui --session ${session})`);
    expect(stub.invalid).toEqual([]);
  });

  it('draws the interactive screen in a terminal even when the shell exports CI=true', async () => {
    // Ink alone would draw only finished lines under CI=true: no input box, no status bar.
    const { stub, pane } = await startTui({
      script: () => [{ delta: 'Answered under CI.' }],
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
    expect(stub.framesOf('send_turn')[0]?.payload.prompt).toBe('hello from a CI shell');
    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(0);
  });

  it('sends a multi-line prompt (Alt+Enter, Ctrl+J), cancels a running turn on Ctrl+C, then quits', async () => {
    const { stub, pane } = await startTui({ script: () => [{ delta: 'Working on it' }, { hold: true }] });
    await pane.waitForText('connected to');
    pane.type('line one');
    pane.press('M-Enter');
    pane.type('line two');
    pane.press('C-j');
    pane.type('line three');
    await pane.waitForText('line three');
    pane.press('Enter');
    await pane.waitForText('Working on it');
    expect(stub.framesOf('send_turn')[0]?.payload.prompt).toBe('line one\nline two\nline three');

    pane.press('C-c');
    const cancelled = await pane.waitForScreen(
      (s) => s.includes('turn cancelled') && statusBar(s).includes('idle'),
      'the cancelled turn',
    );
    expect(cancelled).toContain('cancelling the turn');
    expect(stub.framesOf('cancel_active_turn')).toHaveLength(1);
    expect(pane.exitStatus()).toBeUndefined(); // the first Ctrl+C did not quit

    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(0);
  });

  it('keeps a bracketed paste in the prompt, line breaks and all, until Enter sends it; the mode is off after quitting', async () => {
    const { stub, pane } = await startTui({ script: () => [{ delta: 'Got the pasted notes.' }] });
    await pane.waitForText('connected to');
    // Ends in a line break: pasted bare, that CR would send the prompt at once.
    pane.paste('first pasted line\n\tsecond pasted line\n');
    await pane.waitForScreen(
      (s) => s.includes('› first pasted line') && s.includes('    second pasted line'),
      'the pasted lines in the input box',
    );
    expect(pane.screen()).not.toContain('[200~');
    expect(stub.framesOf('send_turn')).toHaveLength(0);

    pane.press('Enter');
    await pane.waitForText('Got the pasted notes.');
    expect(stub.framesOf('send_turn')[0]?.payload.prompt).toBe('first pasted line\n  second pasted line');

    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(0);
    // The shell's terminal again: a paste now arrives bare, echoed by the tty as typed text.
    pane.paste('after-exit-paste');
    const after = await pane.waitForText('after-exit-paste');
    expect(after).not.toContain('[200~');
  });

  it('runs /new, /sessions, /switch and /status, and survives a dropped connection', async () => {
    const { stub, pane } = await startTui();
    const first = (await pane.waitForText('connected to')).match(/session ([0-9a-f]{8})/)![1]!;

    await submit(pane, '/new research');
    const created = await pane.waitForText('"research" (agent default)');
    const second = created.match(/new session ([0-9a-f]{8})/)![1]!;
    await waitForTextAndStatus(pane, '"research" (agent default)', `session ${second}`);

    await submit(pane, '/sessions');
    const listed = await pane.waitForText('/switch <id> switches');
    expect(listed).toContain(`* ${second}  "research" default · tui`);
    expect(listed).toContain(`  ${first}  default · tui`);

    // The short id as shown (the id's random tail) is what /switch takes.
    await submit(pane, `/switch ${first}`);
    await waitForTextAndStatus(pane, `switched to session ${first}`, `session ${first}`);

    stub.dropConnections();
    await pane.waitForText('connection lost');
    await waitForTextAndStatus(pane, `reconnected; session ${first} resumed`, '● connected');
    expect(stub.framesOf('hello').at(-1)?.payload.session_id).toMatch(new RegExp(`-[0-9a-f]{4}${first}$`));

    await submit(pane, '/status');
    await pane.waitForText(`gateway ${stub.url}: healthy`);
    await submit(pane, '/exit');
    expect(await pane.waitForExit()).toBe(0);
  });

  it('resumes a session with --session, joining the turn running in it', async () => {
    const gateway = await MockGateway.start({
      token: TOKEN,
      script: () => [{ delta: 'begun, ' }, { hold: true }, { delta: 'finished.' }],
    });
    // Another client starts a turn in a session and leaves it running.
    const other = new GatewayClient({ url: gateway.url, token: TOKEN, healthIntervalMs: 60_000 });
    const ack = await other.connect();
    other.send('send_turn', {
      session_id: ack.session.session_id,
      turn_id: 'turn-elsewhere',
      prompt: 'start',
    });
    await pollUntil(() => gateway.framesOf('send_turn').length === 1, 'the turn to reach the gateway');
    await other.close();

    const { pane } = await startTui({ stub: gateway, args: ['--session', ack.session.session_id] });
    await waitForTextAndStatus(
      pane,
      'a turn is running in this session; its reply streams below',
      `session ${shortSessionId(ack.session.session_id)} │ streaming`,
    );
    expect(gateway.framesOf('hello').at(-1)?.payload).toMatchObject({
      session_id: ack.session.session_id,
      create_new_session: false,
    });
    gateway.release();
    const done = await pane.waitForScreen(
      (s) => s.includes('finished.') && statusBar(s).includes('idle'),
      'the turn to end',
    );
    expect(statusBar(done)).toContain('1.2k in · 345 out');
    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(0);
  });

  it('exits 1 with one line when no gateway is running', async () => {
    stub = await MockGateway.start({ token: TOKEN });
    const url = stub.url;
    await stub.stop(); // the port is now known to be free
    sandbox = new CliSandbox();
    pane = new TmuxPane(sandbox.root);
    pane.start(
      [process.execPath, OXYDRA_BIN, 'tui', '--gateway', url],
      {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: sandbox.home,
        TERM: 'xterm-256color',
        OXYDRA_GATEWAY_TOKEN: TOKEN,
      },
      sandbox.workspace,
    );
    expect(await pane.waitForExit()).toBe(1);
    expect(pane.output()).toBe(`error: no gateway at ${url}; start one with \`oxydra gateway\``);
  });

  it('exits 2 when the gateway refuses the token, without showing it', async () => {
    const { pane } = await startTui({ token: 'not-the-right-token-77' });
    expect(await pane.waitForExit()).toBe(2);
    const screen = pane.output();
    expect(screen.split('\n')).toHaveLength(2);
    expect(screen).toContain('refused the token (HTTP 401)');
    expect(screen).toContain('hint: the token from OXYDRA_GATEWAY_TOKEN must be the one the gateway uses');
    expect(screen).not.toContain('not-the-right-token-77');
  });
});

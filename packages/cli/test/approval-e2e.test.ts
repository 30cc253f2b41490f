/**
 * Approval questions (tools.approval = "ask") in a real terminal: the real `oxydra` binary under
 * tmux, the testkit's mock model asking for shell commands, the answers typed as keys. The mock's
 * recorded requests show what reached the model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioStep } from '@oxydra/testkit';
import { pollUntil, processesLeftBehind, processesWith, uniqueSleep } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { OXYDRA_BIN } from './helpers.js';
import { type TmuxPane, tmuxAvailable } from './tui-tmux.js';

let env: AgentEnv | undefined;
let pane: TmuxPane | undefined;
afterEach(async () => {
  pane?.kill();
  await env?.close();
  pane = undefined;
  env = undefined;
});

const shell = (command: string): ScenarioStep => ({
  reply: { toolCalls: [{ name: 'shell_exec', arguments: { command } }] },
});

/** The binary in a tmux pane, in a workspace whose config asks before privileged tools. */
async function start(args: string[], steps: ScenarioStep[]): Promise<{ env: AgentEnv; pane: TmuxPane }> {
  env = await AgentEnv.start(E2E_APIS[0]!, steps);
  const config = join(env.workspace, '.oxydra/agent.toml');
  env.sandbox.write(
    '.oxydra/agent.toml',
    readFileSync(config, 'utf8').replace('approval = "auto"', 'approval = "ask"'),
  );
  pane = env.inPane(args);
  return { env, pane };
}

/** Every user message the model was sent, over all requests (OpenAI chat wire). */
function userMessages(env: AgentEnv): string[] {
  return env.mock.requests.flatMap((request) =>
    ((request.body?.messages ?? []) as { role: string; content: unknown }[])
      .filter((message) => message.role === 'user')
      .map((message) =>
        typeof message.content === 'string' ? message.content : JSON.stringify(message.content),
      ),
  );
}

/** Lines of the screen from the first one containing `from`. */
function linesAfter(screen: string, from: string): string[] {
  const lines = screen.split('\n');
  return lines.slice(lines.findIndex((line) => line.includes(from)));
}

const QUESTION = 'Allow shell_exec:';

/** Type a line and press Enter. */
function say(pane: TmuxPane, line: string): void {
  pane.type(line);
  pane.press('Enter');
}

/** At chat's first prompt, send `prompt` and wait for the approval question; returns the screen. */
async function promptUntilQuestion(pane: TmuxPane, prompt: string): Promise<string> {
  await pane.waitForText('you>');
  say(pane, prompt);
  return pane.waitForText(QUESTION);
}

/** Wait until the approved command shows in the process list, before interrupting it. */
async function untilRunning(pane: TmuxPane, command: string): Promise<void> {
  await pollUntil(
    () => processesWith(command).length > 0,
    () => `the approved command to start; the screen:\n${pane.screen()}`,
  );
}

/** Wait until chat shows its prompt again (the turn is over and chat still runs). */
function backAtPrompt(pane: TmuxPane): Promise<string> {
  return pane.waitForScreen((s) => s.trimEnd().endsWith('you>'), 'the next prompt');
}

describe.skipIf(!tmuxAvailable())('approval questions in a terminal (tmux)', () => {
  it('chat: "y" runs the command once, is echoed once, never reaches the model, and chat goes on', async () => {
    const { env, pane } = await start(
      ['chat'],
      [
        shell('echo approved-$((40+2))'),
        { reply: { text: 'The command printed it.' } },
        { reply: { text: 'Second answer.' } },
      ],
    );
    const asking = await promptUntilQuestion(pane, 'run the thing');
    // The tool line is printed before the question, not after it.
    const toolLine = asking.split('\n').findIndex((line) => line.includes('-> shell_exec echo approved'));
    const questionLine = asking.split('\n').findIndex((line) => line.includes(QUESTION));
    expect(toolLine).toBeGreaterThanOrEqual(0);
    expect(toolLine).toBeLessThan(questionLine);

    pane.type('y');
    await pane.waitForText('[y/N] y');
    pane.press('Enter');
    await pane.waitForText('The command printed it.');
    await backAtPrompt(pane);
    // One echo of the answer: the line after the question holds a single "y".
    expect(linesAfter(pane.screen(), QUESTION)[0]).toMatch(/\[y\/N\] y$/);

    // Chat keeps running after the turn: a second message gets its answer.
    say(pane, 'and again');
    await pane.waitForText('Second answer.');
    expect(env.requestText(1)).toContain('approved-42');
    expect(userMessages(env)).not.toContain('y');
    expect(userMessages(env).some((text) => text.includes('steering'))).toBe(false);

    say(pane, '/exit');
    expect(await pane.waitForExit()).toBe(0);
  });

  it('chat: "n" declines, the model is told, and chat goes on', async () => {
    const { env, pane } = await start(
      ['chat'],
      [shell('echo never-$((40+2))'), { reply: { text: 'Understood, not running it.' } }],
    );
    await promptUntilQuestion(pane, 'run the thing');
    say(pane, 'n');
    await pane.waitForText('Understood, not running it.');
    await backAtPrompt(pane);
    expect(env.requestText(1)).toContain('The user declined to run shell_exec');
    expect(env.requestText(1)).not.toContain('never-42');
    expect(userMessages(env)).not.toContain('n');
    pane.press('C-d');
    expect(await pane.waitForExit()).toBe(0);
  });

  it("chat: a question outlives the call's deadline and closes at the approval timeout; the next line is a new turn, not an answer", async () => {
    const { env, pane } = await start(
      ['chat'],
      [
        shell('echo late-$((40+2))'),
        { reply: { text: 'It did not run.' } },
        { reply: { text: 'Second answer.' } },
      ],
    );
    const config = join(env.workspace, '.oxydra/agent.toml');
    env.sandbox.write(
      '.oxydra/agent.toml',
      `${readFileSync(config, 'utf8').replace('[tools]\n', '[tools]\napproval_timeout_secs = 3\n')}\n[tools.shell]\ncommand_timeout_secs = 1\n`,
    );
    await promptUntilQuestion(pane, 'run the thing');
    // No answer: the call's own deadline (1 s) is not the person's; the approval timeout (3 s) is.
    await pane.waitForText('(no answer in time: not run)', 20_000);
    expect(pane.screen()).not.toContain('the call ended before an answer');
    await pane.waitForText('It did not run.');
    await backAtPrompt(pane);
    say(pane, 'and again');
    await pane.waitForText('Second answer.');
    expect(userMessages(env)).toContain('and again');
    expect(env.requestText(1)).not.toContain('late-42');
    say(pane, '/exit');
    expect(await pane.waitForExit()).toBe(0);
  });

  it('chat: Ctrl+C at the question cancels the reply and chat goes on', async () => {
    const { env, pane } = await start(
      ['chat'],
      [shell('echo never-$((40+2))'), { reply: { text: 'After the cancel.' } }],
    );
    await promptUntilQuestion(pane, 'run the thing');
    pane.press('C-c');
    await pane.waitForText('cancelled: ');
    await backAtPrompt(pane);
    expect(env.mock.requests).toHaveLength(1);

    say(pane, 'hello again');
    await pane.waitForText('After the cancel.');
    // Ctrl+C at the prompt quits, with 130 (a reply cancelled by Ctrl+C above did not count).
    await backAtPrompt(pane);
    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(130);
  });

  it('chat: Ctrl+C during an approved long command stops the command, not chat', async () => {
    const marker = uniqueSleep();
    const { env, pane } = await start(
      ['chat'],
      [shell(`sleep ${marker}`), { reply: { text: 'After the stop.' } }],
    );
    await promptUntilQuestion(pane, 'run the long thing');
    say(pane, 'y');
    await untilRunning(pane, `sleep ${marker}`);
    pane.press('C-c');
    await pane.waitForText('cancelled: ');
    await backAtPrompt(pane);
    expect(await processesLeftBehind(`sleep ${marker}`)).toEqual([]);

    say(pane, 'still there?');
    await pane.waitForText('After the stop.');
    expect(env.mock.requests).toHaveLength(2);
    say(pane, '/exit');
    expect(await pane.waitForExit()).toBe(0);
  });

  it('run: "y" runs the command and exits 0; the tool line comes before the question', async () => {
    const { env, pane } = await start(
      ['run', 'do it'],
      [shell('echo approved-$((40+2))'), { reply: { text: 'Done running.' } }],
    );
    const asking = await pane.waitForText(QUESTION);
    const lines = asking.split('\n');
    expect(lines.findIndex((line) => line.includes('-> shell_exec'))).toBeLessThan(
      lines.findIndex((line) => line.includes(QUESTION)),
    );
    say(pane, 'y');
    expect(await pane.waitForExit()).toBe(0);
    expect(pane.output()).toContain('Done running.');
    expect(env.requestText(1)).toContain('approved-42');
  });

  it('run: Ctrl+C at the question cancels the run with a non-zero exit and leaves no process', async () => {
    const marker = uniqueSleep();
    const { env, pane } = await start(
      ['run', 'do it'],
      [shell(`sleep ${marker}`), { reply: { text: 'no' } }],
    );
    await pane.waitForText(QUESTION);
    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(130);
    expect(pane.output()).toContain('stopped: cancelled at the approval question');
    expect(pane.output()).toContain('cancelled: ');
    expect(pane.output()).not.toContain('run failed');
    expect(env.mock.requests).toHaveLength(1);
    expect(await processesLeftBehind(`sleep ${marker}`)).toEqual([]);
    // The binary itself is gone too (the pane's tmux command line quotes the prompt, so no match).
    expect(await processesLeftBehind(`${OXYDRA_BIN} run do it`)).toEqual([]);
  });

  it('run: Ctrl+C during an approved long command cancels the run (exit 130) and stops the command', async () => {
    const marker = uniqueSleep();
    const { env, pane } = await start(
      ['run', 'do it'],
      [shell(`sleep ${marker}`), { reply: { text: 'no' } }],
    );
    await pane.waitForText(QUESTION);
    say(pane, 'y');
    await untilRunning(pane, `sleep ${marker}`);
    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(130);
    expect(pane.output()).toContain('cancelled: ');
    expect(pane.output()).not.toContain('run failed');
    expect(env.mock.requests).toHaveLength(1);
    expect(await processesLeftBehind(`sleep ${marker}`)).toEqual([]);
  });
});

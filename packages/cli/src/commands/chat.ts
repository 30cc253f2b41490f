/**
 * `oxydra chat`: a multi-turn conversation in the terminal, each reply streamed. On a terminal,
 * a line typed while the agent works steers it (delivered after the current tool batch);
 * piped input is taken one turn at a time. Ctrl+C cancels a running reply, and quits when idle.
 * Commands: /help, /cost, /clear, /exit.
 */
import { createInterface } from 'node:readline';
import { type AgentRun, startAgentRun } from '@oxydra/runtime';
import { addUsage, type Message, shortSessionId, type Usage } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { approverFor, canAskApproval, TerminalQuestion } from '../run/approval.js';
import { TextRenderer, usageLine } from '../run/render-text.js';
import { prepareRun, type RunFlags } from '../run/setup.js';
import { agentWorkspace } from '../run/workspace.js';
import { colorFor } from './run.js';

const HELP = `commands:
  /help    this list
  /cost    tokens and dollars used in this chat so far
  /clear   forget the conversation (start fresh)
  /exit    quit (also Ctrl+D; Ctrl+C quits when no reply is running)
While a reply streams, Ctrl+C cancels it; on a terminal, a line you type steers the agent.`;

export async function runChat(flags: RunFlags): Promise<number> {
  const workspace = agentWorkspace();
  const setup = await prepareRun(flags, { workspace });
  const interactive = Boolean(process.stdin.isTTY);
  const renderer = new TextRenderer({
    stdout: process.stdout,
    stderr: process.stderr,
    color: colorFor(process.stderr),
  });
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: interactive,
    prompt: 'you> ',
  });
  // Approval questions use this same input: one echo, and the answer is not a steering line.
  const question = new TerminalQuestion(rl);
  const approve = canAskApproval()
    ? approverFor(
        (text) => question.ask(text),
        (reason) => active?.cancel(reason),
      )
    : undefined;

  let session = await setup.openSession(flags.session);
  let history: Message[] = session?.history ?? [];
  let usage: Usage = {};
  let costUsd: number | null = 0;
  let turns = 0;
  let active: AgentRun | undefined;
  const pending: string[] = [];
  let inputClosed = false;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });

  process.stderr.write(
    `oxydra chat · ${setup.providerName} / ${setup.model.id} · workspace ${workspace}${session ? ` · session ${shortSessionId(session.id)}` : ''}\nsandbox: ${setup.sandbox}\n/help for commands; Ctrl+C cancels a reply, /exit or Ctrl+D quits\n`,
  );
  if (history.length > 0) process.stderr.write(`continuing a conversation of ${history.length} messages\n`);

  /** Runs a slash command; false when the line is not one. */
  const command = (line: string): boolean => {
    switch (line) {
      case '/help':
        process.stderr.write(`${HELP}\n`);
        return true;
      case '/cost':
        process.stderr.write(`${usageLine(usage, costUsd, turns)}\n`);
        return true;
      case '/clear':
        history = [];
        clearing = true;
        return true;
      case '/exit':
      case '/quit':
        inputClosed = true;
        pending.length = 0;
        rl.close();
        return true;
      default:
        if (line.startsWith('/')) {
          process.stderr.write(`unknown command ${line}; /help lists them\n`);
          return true;
        }
        return false;
    }
  };

  const runTurn = async (prompt: string) => {
    const run = startAgentRun({
      ...setup.base,
      ...session?.options,
      prompt,
      history,
      ...(approve ? { approve } : {}),
    });
    active = run;
    for await (const event of run.events) renderer.handle(event);
    const result = await run.result;
    active = undefined;
    history = result.messages;
    usage = addUsage(usage, result.usage);
    costUsd = costUsd === null || result.costUsd === null ? null : costUsd + result.costUsd;
    turns += result.turns;
  };

  // Lines are handled strictly in order, so piped input ("hi", "/clear", "again") behaves as typed.
  let pumping = false;
  let clearing = false;
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    while (pending.length > 0) {
      const line = pending.shift()!;
      if (command(line)) {
        if (clearing) {
          // A fresh conversation is a new session; the old one stays stored.
          clearing = false;
          session = await setup.openSession();
          process.stderr.write(
            `conversation cleared${session ? `; new session ${shortSessionId(session.id)}` : ''}\n`,
          );
        }
      } else {
        await runTurn(line);
      }
    }
    pumping = false;
    if (inputClosed) finish();
    else if (interactive) rl.prompt();
  };

  rl.on('line', (raw) => {
    const line = raw.trim();
    if (line === '') {
      if (!active && interactive) rl.prompt();
      return;
    }
    // On a terminal, words typed while the agent works steer it instead of waiting their turn.
    if (active && interactive && !line.startsWith('/')) {
      active.steer(line);
      return;
    }
    pending.push(line);
    void pump();
  });
  rl.on('SIGINT', () => {
    // At an approval question, Ctrl+C cancels the question and with it the reply.
    if (question.cancel()) return;
    if (active) active.cancel('cancelled with Ctrl+C');
    else rl.close();
  });
  rl.on('close', () => {
    inputClosed = true;
    void pump();
  });
  if (interactive) rl.prompt();
  await done;
  if (turns > 0) process.stderr.write(`${usageLine(usage, costUsd, turns)}\n`);
  if (session) {
    const id = shortSessionId(session.id);
    process.stderr.write(`session ${id} (continue with oxydra chat --session ${id})\n`);
  }
  await setup.close();
  return EXIT_OK;
}

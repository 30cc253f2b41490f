/**
 * `oxydra chat`: a multi-turn conversation in the terminal, each reply streamed. On a terminal,
 * a line typed while the agent works steers it (delivered after the current tool batch);
 * piped input is taken one turn at a time. Ctrl+C cancels a running reply, and quits when idle.
 * Commands: /help, /cost, /clear, /exit.
 */
import { createInterface } from 'node:readline';
import type { AgentHandle, TurnHandle } from '@oxydra/kernel';
import { addCost } from '@oxydra/provider/core';
import { addUsage, shortSessionId, type Usage } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { canAskApproval, TerminalQuestion } from '../run/approval.js';
import { approvalAnswerer } from '../run/approval-answers.js';
import { markInterrupted } from '../run/interrupted.js';
import { agentWorkspace } from '../run/load-config.js';
import { TextRenderer, usageLine } from '../run/render-text.js';
import { openCliKernel, type RunFlags, spawnSpecFromFlags } from '../run/spawn-flags.js';
import { renderEvent } from '../run/terminal-run.js';
import { colorFor } from './run.js';

const HELP = `commands:
  /help    this list
  /cost    tokens and dollars used in this chat so far
  /clear   forget the conversation (start fresh)
  /exit    quit (also Ctrl+D; Ctrl+C quits when no reply is running)
While a reply streams, Ctrl+C cancels it; on a terminal, a line you type steers the agent.`;

export async function runChat(flags: RunFlags): Promise<number> {
  const workspace = agentWorkspace();
  const kernel = await openCliKernel(flags, { workspace });
  const spec = await spawnSpecFromFlags(flags, kernel.config);
  if (spec.sessionId !== undefined) spec.sessionId = await kernel.resolveSession(spec.sessionId);
  const described = kernel.describe(spec);
  const interactive = Boolean(process.stdin.isTTY);
  const renderer = new TextRenderer({
    stdout: process.stdout,
    stderr: process.stderr,
    color: colorFor(process.stderr),
    sessionNote: false,
  });
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: interactive,
    prompt: 'you> ',
  });
  // Approval questions use this same input: one echo, and the answer is not a steering line.
  const question = new TerminalQuestion(rl);
  const askApprovals = canAskApproval();
  const answer = askApprovals
    ? approvalAnswerer(
        kernel,
        (text, signal) => {
          signal.addEventListener('abort', () => question.cancel(), { once: true });
          return question.ask(text);
        },
        (reason) => agent?.interrupt(reason),
      )
    : undefined;

  /** The chat's agent: spawned with the first message, kept idle between replies. */
  let agent: AgentHandle | undefined;
  let sessionId = spec.sessionId;
  let usage: Usage = {};
  let costUsd: number | null = 0;
  let turns = 0;
  let running = false;
  const pending: string[] = [];
  let inputClosed = false;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const earlier =
    sessionId !== undefined && kernel.config.memory.enabled
      ? await (await kernel.service('sessionAccess')).messages(sessionId, {}).catch(() => [])
      : [];
  process.stderr.write(
    `oxydra chat · ${described.providerName} / ${described.model.id} · workspace ${workspace}${sessionId ? ` · session ${shortSessionId(sessionId)}` : ''}\nsandbox: ${kernel.sandbox.summary}\n/help for commands; Ctrl+C cancels a reply, /exit or Ctrl+D quits\n`,
  );
  if (earlier && earlier.length > 0)
    process.stderr.write(`continuing a conversation of ${earlier.length} messages\n`);

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
    running = true;
    let turn: TurnHandle;
    if (agent) turn = agent.send(prompt);
    else {
      agent = kernel.agents.spawn({
        ...spec,
        ...(sessionId !== undefined ? { sessionId } : {}),
        prompt,
        keepAlive: true,
        askApprovals,
      });
      turn = agent;
    }
    const names = new Map<string, string>();
    for await (const envelope of turn.events) {
      answer?.handle(envelope);
      // Heartbeats would be written into the question line the user is typing on.
      if (answer?.asking && envelope.event.type === 'progress') continue;
      renderEvent(renderer, envelope, agent.id, names);
    }
    const result = await turn.result;
    running = false;
    sessionId = result.sessionId ?? sessionId;
    usage = addUsage(usage, result.usage);
    costUsd = addCost(costUsd, result.costUsd);
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
          agent?.close();
          agent = undefined;
          sessionId = undefined;
          process.stderr.write('conversation cleared; a new session starts with your next message\n');
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
      if (!running && interactive) rl.prompt();
      return;
    }
    // On a terminal, words typed while the agent works steer it instead of waiting their turn.
    if (running && agent && interactive && !line.startsWith('/')) {
      agent.steer(line);
      return;
    }
    pending.push(line);
    void pump();
  });
  rl.on('SIGINT', () => {
    // At an approval question, Ctrl+C cancels the question and with it the reply.
    if (question.cancel()) return;
    if (running) agent?.interrupt('cancelled with Ctrl+C');
    else {
      // Ctrl+C at the prompt quits: exit 130, where /exit and Ctrl+D end with 0.
      markInterrupted();
      rl.close();
    }
  });
  rl.on('close', () => {
    inputClosed = true;
    void pump();
  });
  if (interactive) rl.prompt();
  await done;
  if (turns > 0) process.stderr.write(`${usageLine(usage, costUsd, turns)}\n`);
  if (sessionId) {
    const id = shortSessionId(sessionId);
    process.stderr.write(`session ${id} (continue with oxydra chat --session ${id})\n`);
  }
  await kernel.close();
  return EXIT_OK;
}

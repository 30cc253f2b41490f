/**
 * `oxydra run --spec <request>` (or with --criterion/--constraint): spec-first execution. The
 * directive (goal, constraints, acceptance criteria) is shown on stderr before anything runs;
 * each attempt streams like a plain run; after each, one line per criterion says passed or
 * failed. --json prints the attempts' events as a plain run does and ends with one
 * `spec_outcome` line carrying every attempt's per-criterion results. --exit-code: 0 only when
 * every criterion passed, 1 when the attempts ran out; without it the exit is the last
 * attempt's run's, as for a plain run.
 */
import { type AttemptRecord, formatDirective, runSpec } from '@oxydra/kernel/spec';
import { EVENT_CONTRACT_VERSION, visibleLine } from '@oxydra/types';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { askOnce, canAskApproval } from '../run/approval.js';
import { agentWorkspace } from '../run/load-config.js';
import { maxAttemptsFlag } from '../run/max-attempts.js';
import { openCliKernel, type RunFlags, type SpecFlags, spawnSpecFromFlags } from '../run/spawn-flags.js';
import { confirmDirective, openEditor } from '../run/spec-confirm.js';
import { onInterrupt, readPrompt, streamAgent } from '../run/terminal-run.js';

function evaluationLines(attempt: AttemptRecord): string {
  const lines = attempt.results.map((r) => {
    // The text and the evidence are the model's and the workspace's: one line each, controls written out.
    const first = visibleLine(r.detail.split('\n')[0] ?? '');
    const sub = attempt.subAgents?.find((s) => s.criterionId === r.id);
    const where = sub ? ` (sub-agent ${sub.name} ${sub.agentId})` : '';
    return `  ${r.passed ? 'pass' : 'FAIL'} ${r.id}${where} ${visibleLine(r.text)}${first ? ` — ${first}` : ''}`;
  });
  const verdict = attempt.passed
    ? 'every criterion passed'
    : `${attempt.results.filter((r) => !r.passed).length} failed`;
  return `spec: attempt ${attempt.attempt} evaluated: ${verdict}\n${lines.join('\n')}\n`;
}

export async function runSpecRun(promptWords: string[], flags: RunFlags & SpecFlags): Promise<number> {
  const maxAttempts = maxAttemptsFlag(flags.maxAttempts);
  const request = await readPrompt(promptWords);
  const kernel = await openCliKernel(flags, { workspace: agentWorkspace() });
  const stop = new AbortController();
  const release = onInterrupt(() => stop.abort(new Error('interrupted by the user (Ctrl+C)')));
  try {
    const spawn = await spawnSpecFromFlags(flags, kernel.config);
    if (spawn.sessionId !== undefined) spawn.sessionId = await kernel.resolveSession(spawn.sessionId);
    const json = flags.json === true;
    const askApprovals = !json && canAskApproval();
    // On a terminal the user accepts, edits or cancels the directive first; --yes skips it.
    const confirm = askApprovals && flags.yes !== true;
    const outcome = await runSpec(kernel, {
      input: {
        request,
        ...(flags.criterion ? { criteria: flags.criterion } : {}),
        ...(flags.constraint ? { constraints: flags.constraint } : {}),
        ...(flags.split ? { split: true } : {}),
      },
      spawn: { ...spawn, askApprovals, signal: stop.signal },
      maxAttempts,
      // The question shows the directive itself; without it, it is shown before anything runs.
      ...(confirm
        ? {
            confirmDirective: (directive) =>
              confirmDirective(directive, {
                ask: (question) => askOnce(question, stop.signal),
                edit: openEditor,
                say: (text) => process.stderr.write(text),
              }),
          }
        : {
            onDirective: (directive) =>
              process.stderr.write(`spec: directive\n${formatDirective(directive)}\n`),
          }),
      onAttempt: async (agent, n) => {
        process.stderr.write(`spec: attempt ${n} of ${maxAttempts}\n`);
        await streamAgent(kernel, agent, { json, askApprovals });
      },
      onSubAgent: async (agent, n, criterion) => {
        process.stderr.write(
          `spec: attempt ${n}, criterion ${criterion.id} in sub-agent ${agent.name} ${agent.id}\n`,
        );
        await streamAgent(kernel, agent, { json, askApprovals });
      },
      onEvaluated: (attempt) => process.stderr.write(evaluationLines(attempt)),
    });
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ v: EVENT_CONTRACT_VERSION, type: 'spec_outcome', ...outcome })}\n`,
      );
    }
    if (outcome.attempts.length === 0 && outcome.stopped === 'cancelled') {
      process.stderr.write('spec: cancelled before anything ran\n');
      return EXIT_FAILURE;
    }
    process.stderr.write(
      outcome.passed
        ? `spec: passed after ${outcome.attempts.length} attempt(s)\n`
        : `spec: not passed: ${outcome.stopped ?? 'criteria failed'}\n`,
    );
    if (flags.exitCode) return outcome.passed ? EXIT_OK : EXIT_FAILURE;
    return outcome.attempts.at(-1)?.status === 'completed' ? EXIT_OK : EXIT_FAILURE;
  } finally {
    release();
    await kernel.close();
  }
}

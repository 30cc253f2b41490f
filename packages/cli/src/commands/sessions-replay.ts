/**
 * `oxydra sessions replay <id> [--in-place] [--from start|now] [--keep] [--cassette FILE]
 * [--json]`: re-runs a stored session against its recorded model replies (the kernel's
 * replaySession), offline, from the files as they were when the session started, and says
 * whether the tools did and answered the same. Exit 0 identical, 1 diverged, 2 usage.
 */
import { resolve } from 'node:path';
import { findWorkspaceRoot, writeFileAtomic } from '@oxydra/config';
import { type ReplayCall, type ReplayReport, replaySession } from '@oxydra/kernel/replay';
import { shortSessionId, UsageError } from '@oxydra/types';
import { toCliOverrides } from '../config-flags.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { loadCliConfig } from '../run/load-config.js';
import { printLines } from '../run/print.js';
import { servicesStores } from '../run/store-choice.js';

export interface ReplayFlags {
  inPlace?: boolean;
  from?: string;
  keep?: boolean;
  cassette?: string;
  json?: boolean;
  /** --store, over [store]: where the session is read from. */
  store?: string;
}

const clip = (text: string, max = 100) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

function callLine(call: ReplayCall, index: number): string {
  const args = JSON.stringify(call.arguments);
  return `  ${index + 1}. ${call.name} ${clip(args, 80)}${call.fromRecording ? '  (answered from the recording)' : ''}`;
}

/** Which files the tools started from. */
function startedFrom(report: ReplayReport): string {
  const { start } = report;
  if (start.from === 'checkpoint') {
    return `as they were when the session started (checkpoint ${start.checkpoint.slice(0, 12)}, before run ${start.run}${start.turn !== undefined ? `, turn ${start.turn}` : ''})`;
  }
  return 'as they are now';
}

function render(report: ReplayReport): string {
  const where = report.inPlace
    ? 'in the workspace itself, on its files as they are now (--in-place)'
    : `in a scratch copy of the workspace${report.kept ? ` kept at ${report.workspace}` : ' (removed afterwards)'}, its files ${startedFrom(report)}`;
  const lines = [
    `Replayed session ${shortSessionId(report.sessionId)} (agent ${report.agent}${report.userId ? `, user ${report.userId}` : ''}): ` +
      `${report.turns.length} turn${report.turns.length === 1 ? '' : 's'}, ${report.modelCalls.replayed} of ${report.modelCalls.recorded} recorded model replies played, ` +
      `tools run ${where}; offline: the recording is the only model.`,
  ];
  if (report.fromRecording.length > 0) {
    lines.push(
      `Answered from the recording, not run (they reach beyond the workspace): ${report.fromRecording.join(', ')}`,
    );
  }
  for (const turn of report.turns) {
    lines.push('', `turn ${turn.turn}: ${clip(turn.prompt, 80)}`);
    turn.replayed.calls.forEach((call, index) => {
      lines.push(callLine(call, index));
    });
    const status =
      turn.replayed.status === 'completed'
        ? ''
        : ` (${turn.replayed.status}${turn.replayed.error ? `: ${clip(turn.replayed.error, 120)}` : ''})`;
    lines.push(`  final text: ${clip(turn.replayed.text) || '(none)'}${status}`);
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  lines.push('');
  if (report.identical) {
    const calls = report.turns.reduce((sum, turn) => sum + turn.replayed.calls.length, 0);
    lines.push(
      `IDENTICAL: the same ${calls} tool call${calls === 1 ? '' : 's'} with the same results, and the same final text${report.turns.length === 1 ? '' : 's'}.`,
    );
  } else {
    const count = report.divergences.length;
    lines.push(`DIVERGED: ${count} difference${count === 1 ? '' : 's'} from the recording:`);
    for (const divergence of report.divergences) {
      const at = `turn ${divergence.turn}${divergence.call !== undefined ? `, call ${divergence.call}` : ''}`;
      lines.push(`  ${at}: ${divergence.message}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function fromFlag(value: string | undefined): { from?: 'start' | 'now' } {
  if (value === undefined) return {};
  if (value === 'start' || value === 'now') return { from: value };
  throw new UsageError(`--from ${value}: use start (the files when the session started) or now`);
}

export async function runSessionsReplay(id: string, flags: ReplayFlags): Promise<number> {
  const from = fromFlag(flags.from);
  const cli = flags.store !== undefined ? { cli: await toCliOverrides({ store: flags.store }) } : {};
  const { config } = await loadCliConfig(cli);
  // [store] backend = "postgres": the session is read from there, not the workspace's file.
  const shared = await servicesStores(config);
  let report: ReplayReport;
  try {
    report = await replaySession({
      workspace: findWorkspaceRoot(),
      config,
      session: id,
      ...(flags.inPlace ? { inPlace: true } : {}),
      ...from,
      ...(flags.keep ? { keep: true } : {}),
      ...(shared.stores ? { sessions: shared.stores.sessions } : {}),
    });
  } finally {
    await shared.close();
  }
  if (flags.cassette !== undefined) {
    const path = resolve(flags.cassette);
    await writeFileAtomic(path, `${JSON.stringify(report.cassette, null, 2)}\n`);
    process.stderr.write(
      `wrote the cassette to ${path} (serve it with: oxydra mock-llm --api openai-chat --scenario ${path})\n`,
    );
  }
  if (flags.json) {
    const { cassette: _cassette, ...rest } = report;
    process.stdout.write(`${JSON.stringify(rest, null, 2)}\n`);
  }
  // Prompts, tool arguments and final texts are a model's and a person's: controls written out.
  else printLines(render(report));
  return report.identical ? EXIT_OK : EXIT_FAILURE;
}

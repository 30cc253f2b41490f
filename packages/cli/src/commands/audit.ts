/**
 * `oxydra audit list|verify|export`: the workspace's tamper-evident record of what agents did
 * (tool calls and results, approvals, egress, spawns and exits, denials, budget stops,
 * restores, configuration changes), kept as a BLAKE3 hash chain in `.oxydra/kernel.db`.
 */
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import type { AuditEntry } from '@oxydra/kernel/audit';
import { UsageError, visibleLine } from '@oxydra/types';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { withWorkspaceServices } from '../run/workspace-services.js';

const DURATION = /^(\d+)\s*([smhd])$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: an ISO date/time, or how long ago ("90m", "24h", "7d"). */
export function sinceTime(raw: string, now = Date.now()): string {
  const duration = DURATION.exec(raw.trim());
  if (duration) return new Date(now - Number(duration[1]) * UNIT_MS[duration[2]!]!).toISOString();
  const at = Date.parse(raw);
  if (Number.isNaN(at)) {
    throw new UsageError(`--since: "${raw}" is neither a date nor a duration`, {
      hint: 'use an ISO date such as 2026-11-01 or 2026-11-01T09:00Z, or a duration such as 90m, 24h or 7d',
    });
  }
  return new Date(at).toISOString();
}

function limitOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit: a whole number above 0, got "${raw}"`);
  return limit;
}

/**
 * One entry as one line. Its data and resource hold what agents did with text from models and
 * others (tool arguments, paths, URLs): JSON leaves C1 controls and bidi overrides as they are,
 * and a resource may hold a line break, so the whole line has them written out.
 */
function line(entry: AuditEntry): string {
  const when = entry.ts.replace('T', ' ').slice(0, 19);
  const data = JSON.stringify(entry.action.data);
  const detail = data.length > 120 ? `${data.slice(0, 119)}…` : data;
  return `${visibleLine(`#${entry.seq}  ${when}  ${entry.actor}  ${entry.action.type}${entry.resource ? `  ${entry.resource}` : ''}  ${detail}`)}\n`;
}

export async function runAuditList(options: {
  agent?: string;
  since?: string;
  type?: string;
  limit?: string;
  json?: boolean;
}): Promise<number> {
  const limit = limitOf(options.limit) ?? (options.json ? undefined : 100);
  const since = options.since !== undefined ? sinceTime(options.since) : undefined;
  return withWorkspaceServices(['audit'], async ({ audit }) => {
    const entries = await audit.list({
      ...(options.agent !== undefined ? { agent: options.agent } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(options.type !== undefined ? { type: options.type } : {}),
      ...(limit !== undefined ? { limit } : {}),
    });
    if (options.json) process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    else if (entries.length === 0) process.stdout.write('no audit entries match\n');
    else for (const entry of entries) process.stdout.write(line(entry));
    return EXIT_OK;
  });
}

export async function runAuditVerify(options: { json?: boolean; head?: string }): Promise<number> {
  const extra = options.head !== undefined ? [headArgument(options.head)] : [];
  return withWorkspaceServices(['audit'], async ({ audit }) => {
    const report = await audit.verify(extra);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return report.ok ? EXIT_OK : EXIT_FAILURE;
    }
    if (report.ok) {
      const range = report.entries > 0 ? ` (#${report.first}–#${report.last})` : '';
      const head = await audit.head();
      process.stdout.write(
        `audit chain OK: ${report.entries} entr${report.entries === 1 ? 'y' : 'ies'}${range}${head ? `, head ${head.hash.slice(0, 16)}` : ''}\n`,
      );
      return EXIT_OK;
    }
    const [first, ...rest] = report.problems;
    process.stdout.write(
      `audit chain BROKEN at entry #${first!.seq} (${first!.kind}): ${visibleLine(first!.message)}\n`,
    );
    for (const problem of rest)
      process.stdout.write(`  also #${problem.seq} (${problem.kind}): ${visibleLine(problem.message)}\n`);
    return EXIT_FAILURE;
  });
}

/** `--head <seq>:<hash>`: a head recorded elsewhere (a run's outcome line) the chain must reach. */
function headArgument(raw: string): { seq: number; hash: string; source: string } {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(raw.trim());
  if (!match) {
    throw new UsageError(`--head: expected <seq>:<hash> (a run's auditHead), got "${raw}"`, {
      hint: "copy seq and hash from the auditHead of `oxydra run --json`'s last line, e.g. --head 42:3f2a…",
    });
  }
  return { seq: Number(match[1]), hash: match[2]!, source: 'the --head you gave' };
}

export async function runAuditExport(options: { output?: string }): Promise<number> {
  return withWorkspaceServices(['audit'], async ({ audit }) => {
    const { pruned, entries } = await audit.export();
    const out = options.output ? createWriteStream(resolve(options.output), { mode: 0o600 }) : process.stdout;
    const write = (text: string) =>
      new Promise<void>((done, fail) => {
        if (out.write(text)) done();
        else out.once('drain', done).once('error', fail);
      });
    if (pruned) await write(`${JSON.stringify({ pruned })}\n`);
    let count = 0;
    for await (const entry of entries) {
      await write(`${JSON.stringify(entry)}\n`);
      count += 1;
    }
    if (out !== process.stdout) {
      await new Promise<void>((done, fail) =>
        (out as ReturnType<typeof createWriteStream>).end((error?: Error | null) =>
          error ? fail(error) : done(),
        ),
      );
      process.stderr.write(`exported ${count} audit entries to ${options.output}\n`);
    }
    return EXIT_OK;
  });
}

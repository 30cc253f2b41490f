/**
 * The gateway's guardian (Oxios's start_guardian): verifies the whole audit chain when the
 * gateway starts and every [audit] verify_interval_secs after, logs a broken chain as an
 * error, and keeps the last result for /readyz, which then answers 503 so a monitor notices.
 */
import type { Kernel } from '@oxydra/kernel';
import type { VerifyReport } from '@oxydra/kernel/audit';
import type { GatewayLogger } from './types.js';

interface AuditStatus {
  ok: boolean;
  /** When the last verification finished (ISO). */
  checkedAt: string;
  entries: number;
  /** The first broken entry: "entry #57 (changed)". */
  broken?: string;
}

export interface Guardian {
  status(): AuditStatus | undefined;
  /** Verifies now (also what the timer does). */
  check(): Promise<AuditStatus>;
  stop(): void;
}

export function startGuardian(kernel: Kernel, intervalMs: number, log: GatewayLogger): Guardian {
  let last: AuditStatus | undefined;
  let running: Promise<AuditStatus> | undefined;
  const check = (): Promise<AuditStatus> => {
    running ??= verifyOnce(kernel, log)
      .then((status) => {
        last = status;
        return status;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  void check().catch(() => {});
  const timer = setInterval(() => void check().catch(() => {}), intervalMs);
  timer.unref();
  return { status: () => last, check, stop: () => clearInterval(timer) };
}

async function verifyOnce(kernel: Kernel, log: GatewayLogger): Promise<AuditStatus> {
  const checkedAt = () => new Date().toISOString();
  let report: VerifyReport;
  try {
    report = await (await kernel.service('audit')).verify();
  } catch (error) {
    log('error', 'the audit chain could not be verified', { error: String(error) });
    return { ok: false, checkedAt: checkedAt(), entries: 0, broken: 'the chain could not be read' };
  }
  const first = report.problems[0];
  if (!first) {
    log('debug', 'audit chain verified', { entries: report.entries });
    return { ok: true, checkedAt: checkedAt(), entries: report.entries };
  }
  log('error', 'the audit chain is BROKEN: entries were changed, removed or forged', {
    entry: first.seq,
    kind: first.kind,
    problem: first.message,
    problems: report.problems.length,
  });
  return {
    ok: false,
    checkedAt: checkedAt(),
    entries: report.entries,
    broken: `entry #${first.seq} (${first.kind})`,
  };
}

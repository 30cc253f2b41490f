/**
 * `oxydra runner logs [-f]`: the guest's output. Through the control socket's `logs` op when the
 * runner is up, straight from `<ws>/logs` when it is not (logs outlive the guest). `-f` keeps
 * printing lines as they are appended, until interrupted.
 */
import { LogFollower } from '@oxydra/config/admin';
import {
  formatLogEntry,
  LOG_ROLES,
  LOG_STREAMS,
  type LogEntry,
  type LogsRequest,
  logFilePath,
  logsRequestSchema,
  planRunner,
  RunnerNotRunning,
  readLogs,
  sendControl,
} from '@oxydra/runner';
import { UsageError, visibleLine } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { printWarning } from '../run/print.js';
import { untilInterrupted } from '../run/until-interrupted.js';
import type { RunnerFlags } from './runner.js';

export interface RunnerLogsFlags extends RunnerFlags {
  follow?: boolean;
  tail?: string;
  role?: string;
  stream?: string;
  format?: string;
}

/** How often -f looks for new lines. */
const FOLLOW_POLL_MS = 250;

function logsRequest(flags: RunnerLogsFlags): LogsRequest {
  const parsed = logsRequestSchema.safeParse({
    ...(flags.role !== undefined ? { role: flags.role } : {}),
    ...(flags.stream !== undefined ? { stream: flags.stream } : {}),
    ...(flags.tail !== undefined ? { tail: Number(flags.tail) } : {}),
    ...(flags.format !== undefined ? { format: flags.format } : {}),
  });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const flag = `--${String(issue?.path[0] ?? 'tail')}`;
  const allowed: Record<string, string> = {
    '--role': LOG_ROLES.join(', '),
    '--stream': LOG_STREAMS.join(', '),
    '--tail': 'a whole number of lines greater than 0',
    '--format': 'text, json',
  };
  throw new UsageError(`${flag}: invalid value`, { hint: `expected ${allowed[flag] ?? issue?.message}` });
}

/** One entry: its message is what ran in the guest wrote (commands a model chose), written out. */
function print(entry: LogEntry, format: LogsRequest['format']): void {
  process.stdout.write(`${format === 'json' ? JSON.stringify(entry) : visibleLine(formatLogEntry(entry))}\n`);
}

export async function runRunnerLogs(flags: RunnerLogsFlags): Promise<number> {
  const request = logsRequest(flags);
  const target = await planRunner({
    ...(flags.config !== undefined ? { configPath: flags.config } : {}),
    ...(flags.user !== undefined ? { user: flags.user } : {}),
  });
  // With -f, where following starts is taken before the existing lines are read: a line written
  // meanwhile is then printed by both (rarely, and harmlessly) rather than by neither.
  const start = flags.follow ? await followStart(target.paths.logs, request) : undefined;
  let response: Awaited<ReturnType<typeof readLogs>>;
  try {
    const answer = await sendControl(target.paths.controlSocket, { op: 'logs', payload: request });
    if (answer.op !== 'logs')
      throw new Error(answer.op === 'error' ? answer.payload.message : `unexpected ${answer.op}`);
    response = answer.payload;
  } catch (error) {
    if (!(error instanceof RunnerNotRunning)) throw error;
    response = await readLogs(target.paths.logs, request);
  }
  for (const warning of response.warnings) printWarning(warning);
  for (const entry of response.entries) print(entry, request.format);
  if (start === undefined) return EXIT_OK;
  await follow(start);
  return EXIT_OK;
}

interface FollowStart {
  files: { role: string; stream: 'stdout' | 'stderr'; follower: LogFollower }[];
  format: LogsRequest['format'];
}

/** The chosen log files, each followed from its end now: where following starts. */
async function followStart(logDir: string, request: LogsRequest): Promise<FollowStart> {
  const roles = request.role === 'all' ? ['runtime', 'sidecar'] : [request.role];
  const streams = request.stream === 'both' ? (['stdout', 'stderr'] as const) : [request.stream];
  const files = await Promise.all(
    roles.flatMap((role) =>
      streams.map(async (stream) => ({
        role,
        stream,
        follower: await LogFollower.start(logFilePath(logDir, role, stream)),
      })),
    ),
  );
  return { files, format: request.format };
}

/** Prints lines appended to the log files since `start`, until SIGINT or SIGTERM. */
async function follow({ files, format }: FollowStart): Promise<void> {
  await untilInterrupted(FOLLOW_POLL_MS, async () => {
    for (const { role, stream, follower } of files)
      for (const message of await follower.poll())
        print({ source: 'process_file', role, stream, message }, format);
  });
  for (const { follower } of files) await follower.close();
}

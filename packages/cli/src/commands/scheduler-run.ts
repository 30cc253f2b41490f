/**
 * `oxydra scheduler run`: fires the workspace's schedules in the foreground until Ctrl+C (or
 * SIGTERM), with a line per run started and ended. It is the scheduler `oxydra gateway` runs
 * when [scheduler] enabled = true, without the gateway; it runs whatever that setting says,
 * since asking for it is the intent. Several may run on one workspace (and beside a gateway):
 * each due run is fired by one of them. On a PostgreSQL store it is a member of the deployment
 * (run/deployment-member.ts): its runs count against the per-user limit of every process.
 */

import type { ConfigFlagValues } from '../config-flags.js';
import { EXIT_OK } from '../exit-codes.js';
import { openMemberKernel, stderrMemberLog } from '../run/deployment-member.js';
import { agentWorkspace } from '../run/load-config.js';
import { deliverScheduleResultsToChats } from '../run/schedule-chats.js';
import { stampedLog } from '../run/stamped-log.js';
import { stopSignal } from '../run/until-interrupted.js';
import { whenIn } from './schedule.js';

export async function runSchedulerRun(flags: ConfigFlagValues): Promise<number> {
  const say = stampedLog();
  // On PostgreSQL a member of the deployment: its runs take their users' slots there.
  const { kernel, close } = await openMemberKernel(
    flags,
    { workspace: agentWorkspace(), host: 'scheduler' },
    'scheduler',
    stderrMemberLog(say),
  );
  const scheduler = await kernel.service('scheduler');
  const settings = kernel.config.scheduler;
  // Listened for before the first line, which a supervisor may answer with SIGTERM at once.
  const stopped = stopSignal();
  const stopChats = await deliverScheduleResultsToChats(kernel, say);
  try {
    const schedules = await scheduler.list();
    const active = schedules.filter((s) => s.enabled && s.nextRunAt !== undefined);
    say(
      `scheduler: ${active.length} of ${schedules.length} schedules active, polling every ${settings.poll_interval_secs}s, at most ${settings.max_concurrent} runs at once (Ctrl+C stops)`,
    );
    for (const s of active.slice(0, 20))
      say(`  ${s.id} "${s.name}": ${s.timing}, next ${whenIn(s.nextRunAt, s.timezone)}`);
    scheduler.onStarted(({ schedule, run }) => {
      const why = run.trigger === 'catch_up' ? ` (catch-up for ${run.missed + 1} missed)` : '';
      say(`started ${schedule.id} "${schedule.name}" for ${schedule.userId}${why}: run ${run.id}`);
    });
    scheduler.subscribe(({ schedule, run, alert, disabled }) => {
      const cost = run.costUsd !== undefined ? `$${run.costUsd.toFixed(4)}` : '$?';
      const took = run.durationMs !== undefined ? `${(run.durationMs / 1000).toFixed(1)}s` : '';
      const first = (run.error ?? run.output ?? '').split('\n')[0]!.slice(0, 160);
      say(
        `${run.status} ${schedule.id} "${schedule.name}" run ${run.id} ${took} ${run.turns ?? 0} turns ${cost}${first ? `: ${first}` : ''}`,
      );
      if (alert) say(`ALERT: "${schedule.name}" has failed ${schedule.consecutiveFailures} times in a row`);
      if (disabled)
        say(
          `paused "${schedule.name}": ${schedule.disabledReason}; \`oxydra schedule resume ${schedule.id}\` restarts it`,
        );
    });
    scheduler.start();
    say(`${await stopped}: stopping; running runs are recorded as interrupted`);
    await scheduler.stop();
    return EXIT_OK;
  } finally {
    await stopChats();
    await close();
  }
}

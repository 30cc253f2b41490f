/**
 * The scheduler inside the gateway ([scheduler] enabled): started with it, stopped before it
 * closes, and each finished run said to its user's connected WebSocket clients as a
 * scheduled_notification frame (the answer, or why it failed; an alert after
 * notify_after_failures failures in a row; whether the schedule was paused) and logged.
 */
import { type Kernel, mayUse } from '@oxydra/kernel';
import type { ScheduleNotification } from '@oxydra/kernel/scheduler';
import type { ServerFrame } from '@oxydra/types/gateway';
import type { GatewayLogger } from './types.js';

/** What a client is shown of an answer; the whole is in the run's session and history. */
const MAX_MESSAGE_CHARS = 4000;

export interface NotifiedClient {
  readonly userId: string | undefined;
  send(frame: ServerFrame): void;
}

function notificationFrame({ schedule, run, alert, disabled }: ScheduleNotification): ServerFrame {
  const body =
    run.status === 'completed'
      ? run.output || '(no answer)'
      : `"${schedule.name}" ${run.status}${run.error ? `: ${run.error}` : ''}${alert ? ` (${schedule.consecutiveFailures} failures in a row)` : ''}${disabled ? `; the schedule is paused (${schedule.disabledReason})` : ''}`;
  return {
    type: 'scheduled_notification',
    payload: {
      schedule_id: schedule.id,
      schedule_name: schedule.name,
      message: body.length > MAX_MESSAGE_CHARS ? `${body.slice(0, MAX_MESSAGE_CHARS)}…` : body,
      run_id: run.id,
      // A finished run's status is never "running".
      ...(run.status !== 'running' ? { status: run.status } : {}),
      ...(run.sessionId !== undefined ? { session_id: run.sessionId } : {}),
      ...(run.costUsd !== undefined ? { cost_usd: run.costUsd } : {}),
      ...(run.turns !== undefined ? { turns: run.turns } : {}),
      alert,
      paused: disabled,
    },
  };
}

/** Starts the kernel's scheduler and tells clients of its runs; returns the stop. */
export async function startScheduledRuns(
  kernel: Kernel,
  clients: () => Iterable<NotifiedClient>,
  log: GatewayLogger,
): Promise<() => Promise<void>> {
  const scheduler = await kernel.service('scheduler');
  const unsubscribe = scheduler.subscribe((notification) => {
    const { schedule, run } = notification;
    log(run.status === 'completed' ? 'info' : 'warn', 'scheduled run finished', {
      schedule: schedule.id,
      name: schedule.name,
      user: schedule.userId,
      run: run.id,
      status: run.status,
      ...(run.costUsd !== undefined ? { cost_usd: run.costUsd } : {}),
      ...(notification.alert ? { alert: true } : {}),
      ...(notification.disabled ? { paused: true } : {}),
    });
    const frame = notificationFrame(notification);
    // The run is the schedule's user's: only that user's clients (a client before hello has none).
    for (const client of clients()) {
      if (client.userId !== undefined && mayUse(schedule.userId, { userId: client.userId }))
        client.send(frame);
    }
  });
  scheduler.start();
  return async () => {
    unsubscribe();
    await scheduler.stop();
  };
}

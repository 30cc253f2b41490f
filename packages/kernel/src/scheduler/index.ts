/** The scheduler as the kernel offers it: the stored schedules' calls and the service that fires them. */
import type { ScheduleCalls, ScheduleScope } from './schedule-calls.js';
import type { NotificationListener, Scheduler } from './scheduler.js';
import type { ScheduleInfo, ScheduleRun } from './types.js';

export interface KernelScheduler extends ScheduleCalls {
  /** Fires due schedules every [scheduler] poll_interval_secs until stop() (the gateway calls it). */
  start(): void;
  /** Stops firing; this process's running runs are stopped and recorded as interrupted. */
  stop(): Promise<void>;
  /** Whether start() was called and stop() was not. */
  readonly started: boolean;
  /** One poll now: what it started. */
  tick(): Promise<{ schedule: ScheduleInfo; run: ScheduleRun }[]>;
  /** Runs a schedule now, outside its timing; `done` settles with the recorded run. */
  runNow(
    idOrName: string,
    scope: ScheduleScope,
  ): Promise<{ run: ScheduleRun; done: Promise<ScheduleRun | undefined> }>;
  /** Hears of every run this process finishes; returns the unsubscribe. */
  subscribe(listener: NotificationListener): () => void;
  /** Hears of every run this process starts; returns the unsubscribe. */
  onStarted(listener: (started: { schedule: ScheduleInfo; run: ScheduleRun }) => void): () => void;
  /** Settles when this process's runs are all recorded. */
  idle(): Promise<void>;
}

export function kernelScheduler(calls: ScheduleCalls, engine: Scheduler): KernelScheduler {
  return {
    ...calls,
    start: () => engine.start(),
    stop: () => engine.stop(),
    get started() {
      return engine.started;
    },
    tick: () => engine.tick(),
    runNow: (idOrName: string, scope: ScheduleScope) => engine.runNow(idOrName, scope),
    subscribe: (listener: NotificationListener) => engine.subscribe(listener),
    onStarted: (listener) => engine.onStarted(listener),
    idle: () => engine.idle(),
  };
}

export {
  DEFAULT_SCHEDULE_USER,
  type ScheduleCalls,
  type ScheduleScope,
  scheduleCalls,
} from './schedule-calls.js';
export { SCHEDULE_TOOLS } from './schedule-tools.js';
export type { NotificationListener } from './scheduler.js';
export { checkTimeZone, machineTimeZone, parseDuration } from './timing.js';
export type * from './types.js';

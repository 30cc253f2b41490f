/**
 * A stored schedule and a new run as the schedule store's tests write them: every field set to a
 * plain value, the ones a case is about given in `fields`.
 */
import type { NewRun, StoredSchedule } from '@oxydra/types';

export const storedSchedule = (id: string, fields: Partial<StoredSchedule> = {}): StoredSchedule => ({
  id,
  userId: 'alice',
  name: id,
  agent: null,
  prompt: 'Summarize the news',
  kind: 'every',
  spec: '1h',
  timezone: 'Europe/Berlin',
  enabled: true,
  nextRunAt: 1_000,
  anchorAt: 0,
  consecutiveFailures: 0,
  disabledReason: null,
  runToken: null,
  directive: null,
  createdBy: 'cli',
  createdAt: 10,
  updatedAt: 10,
  ...fields,
});

/** A run of schedule `s` due at 1,000 and leased until 2,000. */
export const newRun = (id: string, fields: Partial<NewRun> = {}): NewRun => ({
  id,
  scheduleId: 's',
  userId: 'alice',
  dueAt: 1_000,
  trigger: 'schedule',
  missed: 0,
  startedAt: 1_005,
  leaseOwner: 'host:1:a',
  leaseUntil: 2_000,
  ...fields,
});

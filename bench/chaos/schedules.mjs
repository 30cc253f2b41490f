// bench/chaos.mjs: one-time schedules (`oxydra schedule add --at`) falling due during the run, the
// wait for their runs, and invariant (d): every due schedule ran exactly once.
import { query, sleep } from '../deployment.mjs';

/** Adds the schedules due during the run (none within 8 s of now); resolves with their names. */
export async function addSchedules(deployment, { startedAt, seconds, scheduleCount }) {
  const scheduleNames = [];
  const adds = [];
  for (let i = 0; i < scheduleCount; i++) {
    const due = new Date(startedAt + ((i + 1) * seconds * 1000) / (scheduleCount + 1));
    if (due.getTime() - Date.now() < 8000) continue; // `schedule add` refuses a time in the past
    const name = `chaos-${i + 1}`;
    scheduleNames.push(name);
    adds.push(
      deployment.cli([
        'schedule',
        'add',
        '--at',
        due.toISOString().slice(0, 19),
        '--tz',
        'UTC',
        '--name',
        name,
        `scheduled chaos task ${i + 1}`,
      ]),
    );
  }
  for (const added of await Promise.all(adds)) {
    if (added.status !== 0) throw new Error(`oxydra schedule add failed: ${added.stderr}`);
  }
  return scheduleNames;
}

/** Every schedule of the schema with its runs (one row a run; a schedule without runs once). */
const scheduleRows = async (schema) =>
  query(
    `SELECT s.name, r.status, r."trigger", r.due_at FROM ${schema}.schedules s
     LEFT JOIN ${schema}.schedule_runs r ON r.schedule_id = s.id ORDER BY s.name`,
  );

/** Waits (60 s at the most) until each due schedule has run and finished. */
export async function waitForScheduleRuns(schema, scheduleNames) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const rows = await scheduleRows(schema);
    const done = rows.filter((row) => row.status && row.status !== 'running').length;
    if (done >= scheduleNames.length || Date.now() > deadline) break;
    await sleep(1000);
  }
}

/** Invariant (d): each due schedule's runs and statuses; ok when each ran exactly once. */
export async function scheduleInvariant(schema, scheduleNames) {
  const rows = await scheduleRows(schema);
  const perSchedule = {};
  for (const name of scheduleNames) perSchedule[name] = { runs: 0, statuses: [] };
  for (const row of rows) {
    if (!perSchedule[row.name] || !row.status) continue;
    perSchedule[row.name].runs++;
    perSchedule[row.name].statuses.push(row.status);
  }
  const schedulesOnce = Object.values(perSchedule).every((entry) => entry.runs === 1);
  return { ok: schedulesOnce, schedules: scheduleNames.length, runs: perSchedule };
}

/** Schedules: list, create, pause and resume, run now, delete, and each one's run history. */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import type { ScheduleRow, ScheduleRun } from '../api-types.js';
import { formatTime, formatUsd, shortJson } from '../format.js';
import { href } from '../router.js';
import { Badge, Empty, ErrorBox, Loaded, PageHeader, useAction, useResource } from '../ui/common.js';
import { type Column, Table } from '../ui/table.js';

function timingText(timing: ScheduleRow['timing']): string {
  if (typeof timing === 'string') return timing;
  return Object.entries(timing)
    .map(([key, value]) => `${key} ${String(value)}`)
    .join(', ');
}

export function SchedulesPage(props: { selected: string | undefined }) {
  const schedules = useResource(() => api<{ schedules: ScheduleRow[] }>('/api/v1/schedules'), []);
  const action = useAction();
  const [notice, setNotice] = useState<string | undefined>();
  const post = (schedule: ScheduleRow, verb: 'pause' | 'resume' | 'run') =>
    void action
      .run(async () => {
        await api(`/api/v1/schedules/${encodeURIComponent(schedule.id)}/${verb}`, { method: 'POST' });
        setNotice(
          verb === 'run'
            ? `Started a run of ${schedule.name ?? schedule.id}.`
            : `${verb === 'pause' ? 'Paused' : 'Resumed'} ${schedule.name ?? schedule.id}.`,
        );
      })
      .then(schedules.reload);
  const remove = (schedule: ScheduleRow) => {
    if (!confirm(`Delete schedule ${schedule.name ?? schedule.id}?`)) return;
    void action
      .run(() => api(`/api/v1/schedules/${encodeURIComponent(schedule.id)}`, { method: 'DELETE' }))
      .then(schedules.reload);
  };
  return (
    <section aria-labelledby="page-title">
      <PageHeader title="Schedules">
        <button type="button" onClick={schedules.reload}>
          Refresh
        </button>
      </PageHeader>
      {notice ? (
        <p class="success-box" role="status">
          {notice}
        </p>
      ) : null}
      <ErrorBox error={action.error} />
      <NewSchedule onCreated={schedules.reload} />
      <Loaded resource={schedules} what="schedules">
        {(data) =>
          data.schedules.length === 0 ? (
            <Empty>No schedules. Create one above, or ask an agent to.</Empty>
          ) : (
            <ul class="cards" aria-label="Schedules">
              {data.schedules.map((schedule) => (
                <li key={schedule.id} class="card">
                  <div class="card-head">
                    <strong>{schedule.name ?? schedule.id}</strong>
                    <Badge value={schedule.enabled ? 'enabled' : 'paused'} />
                    <span class="muted small">
                      {timingText(schedule.timing)}
                      {schedule.timezone ? ` (${schedule.timezone})` : ''} · next{' '}
                      {formatTime(schedule.next_run_at)}
                      {schedule.agent ? ` · agent ${schedule.agent}` : ''}
                      {schedule.user_id ? ` · ${schedule.user_id}` : ''}
                    </span>
                  </div>
                  <p class="prompt">{schedule.prompt}</p>
                  {schedule.disabled_reason ? (
                    <p class="error-text small">{schedule.disabled_reason}</p>
                  ) : null}
                  {schedule.consecutive_failures ? (
                    <p class="small">{schedule.consecutive_failures} failure(s) in a row</p>
                  ) : null}
                  <div class="card-actions">
                    {schedule.enabled ? (
                      <button type="button" disabled={action.busy} onClick={() => post(schedule, 'pause')}>
                        Pause
                      </button>
                    ) : (
                      <button type="button" disabled={action.busy} onClick={() => post(schedule, 'resume')}>
                        Resume
                      </button>
                    )}
                    <button type="button" disabled={action.busy} onClick={() => post(schedule, 'run')}>
                      Run now
                    </button>
                    <a
                      class="button"
                      href={
                        props.selected === schedule.id ? href('schedules') : href('schedules', schedule.id)
                      }
                      aria-expanded={props.selected === schedule.id}
                    >
                      History
                    </a>
                    <button
                      type="button"
                      class="danger"
                      disabled={action.busy}
                      onClick={() => remove(schedule)}
                    >
                      Delete
                    </button>
                  </div>
                  {props.selected === schedule.id ? <Runs id={schedule.id} /> : null}
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

function NewSchedule(props: { onCreated: () => void }) {
  const [form, setForm] = useState({
    prompt: '',
    name: '',
    kind: 'every',
    when: '',
    timezone: '',
    agent: '',
  });
  const action = useAction();
  const field = (name: keyof typeof form) => (event: Event) =>
    setForm({ ...form, [name]: (event.target as HTMLInputElement).value });
  const submit = (event: Event) => {
    event.preventDefault();
    void action
      .run(() =>
        api('/api/v1/schedules', {
          method: 'POST',
          body: {
            prompt: form.prompt,
            [form.kind]: form.when,
            ...(form.name ? { name: form.name } : {}),
            ...(form.agent ? { agent: form.agent } : {}),
            ...(form.timezone ? { timezone: form.timezone } : {}),
          },
        }),
      )
      .then((ok) => {
        if (!ok) return;
        setForm({ ...form, prompt: '', name: '', when: '' });
        props.onCreated();
      });
  };
  return (
    <details class="new-form">
      <summary>New schedule</summary>
      <form class="stack" onSubmit={submit}>
        <label for="schedule-prompt">Prompt</label>
        <textarea id="schedule-prompt" required rows={2} value={form.prompt} onInput={field('prompt')} />
        <div class="row">
          <span>
            <label for="schedule-kind">Timing</label>
            <select id="schedule-kind" value={form.kind} onChange={field('kind')}>
              <option value="every">every (e.g. 1h)</option>
              <option value="cron">cron (e.g. 0 9 * * 1-5)</option>
              <option value="at">at (an ISO time)</option>
            </select>
          </span>
          <span>
            <label for="schedule-when">When</label>
            <input id="schedule-when" required value={form.when} onInput={field('when')} />
          </span>
          <span>
            <label for="schedule-name">Name (optional)</label>
            <input id="schedule-name" value={form.name} onInput={field('name')} />
          </span>
          <span>
            <label for="schedule-agent">Agent (optional)</label>
            <input id="schedule-agent" value={form.agent} onInput={field('agent')} />
          </span>
          <span>
            <label for="schedule-tz">Time zone (optional)</label>
            <input
              id="schedule-tz"
              placeholder="Europe/Paris"
              value={form.timezone}
              onInput={field('timezone')}
            />
          </span>
        </div>
        <ErrorBox error={action.error} />
        <button type="submit" class="primary" disabled={action.busy}>
          Create
        </button>
      </form>
    </details>
  );
}

const RUN_COLUMNS: Column<ScheduleRun>[] = [
  { header: 'Started', sort: (run) => run.started_at, cell: (run) => formatTime(run.started_at) },
  { header: 'Status', sort: (run) => run.status, cell: (run) => <Badge value={run.status} /> },
  { header: 'Trigger', sort: (run) => run.trigger, cell: (run) => run.trigger ?? '—' },
  { header: 'Cost', align: 'num', sort: (run) => run.cost_usd, cell: (run) => formatUsd(run.cost_usd) },
  {
    header: 'Output',
    class: 'wrap small',
    cell: (run) => (
      <>
        {run.error ? <span class="error-text">{run.error}</span> : shortJson(run.output, 200)}
        {run.session_id ? (
          <>
            {' '}
            <a href={href('sessions', run.session_id)}>transcript</a>
          </>
        ) : null}
      </>
    ),
  },
];

function Runs(props: { id: string }) {
  const runs = useResource(
    () => api<{ runs: ScheduleRun[] }>(`/api/v1/schedules/${encodeURIComponent(props.id)}/runs`),
    [props.id],
  );
  return (
    <Loaded resource={runs} what="the run history">
      {(data) => (
        <Table
          caption="Runs of this schedule"
          empty="No runs yet."
          rows={data.runs}
          rowKey={(run) => run.id}
          columns={RUN_COLUMNS}
        />
      )}
    </Loaded>
  );
}

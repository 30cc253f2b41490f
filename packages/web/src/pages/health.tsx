/** Health and resources: version, uptime, sandbox, tool sources, memory, agents, sessions, scheduler, clients. */
import { useEffect } from 'preact/hooks';
import { api } from '../api.js';
import type { Health, TrustState } from '../api-types.js';
import { formatBytes, formatCount, formatDuration } from '../format.js';
import { href } from '../router.js';
import { Badge, Loaded, PageHeader, useResource } from '../ui/common.js';

/** The trust state as a badge: held back warns, trusted (or nothing to trust) is fine. */
function TrustBadge(props: { state: TrustState }) {
  const held = props.state === 'untrusted' || props.state === 'declined';
  return <Badge value={props.state} tone={held ? 'warn' : 'ok'} />;
}

export function HealthPage() {
  const health = useResource(() => api<Health>('/api/v1/health'), []);
  const reload = health.reload;
  useEffect(() => {
    const timer = setInterval(reload, 10_000);
    return () => clearInterval(timer);
  }, [reload]);
  return (
    <section aria-labelledby="page-title">
      <PageHeader title="Health and resources">
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </PageHeader>
      <Loaded resource={health} what="health">
        {(data) => {
          const process = data.resources?.process;
          const agents = data.resources?.agents;
          const sessions = data.resources?.sessions;
          return (
            <div class="grid">
              <div class="card">
                <h2>Gateway</h2>
                <dl class="facts">
                  <dt>Status</dt>
                  <dd>
                    <Badge value={data.status} />
                  </dd>
                  <dt>Version</dt>
                  <dd>{data.version ?? '—'}</dd>
                  <dt>Uptime</dt>
                  <dd>{formatDuration(data.uptime_secs ?? process?.uptime_secs)}</dd>
                  <dt>Clients</dt>
                  <dd>{formatCount(data.clients)}</dd>
                  <dt>Scheduler</dt>
                  <dd>
                    {data.scheduler
                      ? `${data.scheduler.enabled ? 'enabled' : 'disabled'}${data.scheduler.started ? ', running' : ''}`
                      : '—'}
                  </dd>
                  {data.trust ? (
                    <>
                      <dt>Workspace trust</dt>
                      <dd>
                        <TrustBadge state={data.trust.state} />
                        {data.trust.held_count > 0 ? (
                          <>
                            {` ${data.trust.held_count} setting${data.trust.held_count === 1 ? '' : 's'} held back: `}
                            <a href={href('config')}>review</a>
                          </>
                        ) : null}
                      </dd>
                    </>
                  ) : null}
                </dl>
              </div>
              <div class="card">
                <h2>Resources</h2>
                <dl class="facts">
                  <dt>Memory (RSS)</dt>
                  <dd>{formatBytes(process?.rss_bytes)}</dd>
                  <dt>Heap used</dt>
                  <dd>{formatBytes(process?.heap_used_bytes)}</dd>
                  {data.resources?.system ? (
                    <>
                      <dt>Machine</dt>
                      <dd>
                        {data.resources.system.cpus ?? '?'} CPUs, load{' '}
                        {(data.resources.system.load_avg ?? []).map((n) => n.toFixed(2)).join(' ')},{' '}
                        {formatBytes(data.resources.system.free_mem_bytes)} free of{' '}
                        {formatBytes(data.resources.system.total_mem_bytes)}
                      </dd>
                    </>
                  ) : null}
                  <dt>Agents</dt>
                  <dd>
                    {agents
                      ? `${formatCount(agents.running ?? agents.active)} running, ${formatCount(agents.idle)} idle, ${formatCount(agents.total)} in all`
                      : '—'}
                  </dd>
                  <dt>Sessions</dt>
                  <dd>
                    {typeof sessions === 'number'
                      ? `${formatCount(sessions)} with a running agent${
                          typeof data.resources?.stored_sessions === 'number'
                            ? `, ${formatCount(data.resources.stored_sessions)} stored`
                            : ''
                        }`
                      : sessions
                        ? Object.entries(sessions)
                            .map(([k, v]) => `${v} ${k}`)
                            .join(', ')
                        : '—'}
                  </dd>
                </dl>
              </div>
              <div class="card">
                <h2>Sandbox</h2>
                {data.sandbox ? (
                  <>
                    <p>
                      <Badge
                        value={data.sandbox.shell}
                        tone={data.sandbox.shell === 'sandboxed' ? 'ok' : 'warn'}
                      />{' '}
                      {data.sandbox.tier}
                    </p>
                    <p class="small">{data.sandbox.summary}</p>
                  </>
                ) : (
                  <p class="muted">—</p>
                )}
              </div>
              <div class="card">
                <h2>Tool sources</h2>
                {data.tool_sources && data.tool_sources.length > 0 ? (
                  <ul class="plain">
                    {data.tool_sources.map((source) => (
                      <li key={source.name}>
                        <Badge value={source.ok ? 'ok' : 'failed'} /> <strong>{source.name}</strong>{' '}
                        <span class="muted small">{source.detail}</span>
                      </li>
                    ))}
                  </ul>
                ) : (
                  <p class="muted">No plugins or MCP servers configured.</p>
                )}
              </div>
            </div>
          );
        }}
      </Loaded>
    </section>
  );
}

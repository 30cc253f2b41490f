/** Health and resources: version, uptime, sandbox, tool sources, memory, agents, sessions, scheduler, clients. */
import { heldCountText } from '@oxydra/types/held-items';
import { api } from '../api.js';
import type { Health, TrustState } from '../api-types.js';
import { formatBytes, formatCount, formatDuration } from '../format.js';
import { href } from '../router.js';
import { Card, Fact, Facts, RefreshingPage } from '../ui/card.js';
import { Badge } from '../ui/common.js';

/** The trust state as a badge: held back warns, trusted (or nothing to trust) is fine. */
function TrustBadge(props: { state: TrustState }) {
  const held = props.state === 'untrusted' || props.state === 'declined';
  return <Badge value={props.state} tone={held ? 'warn' : 'ok'} />;
}

function GatewayCard(props: { data: Health }) {
  const data = props.data;
  return (
    <Card id="health-gateway" title="Gateway">
      <Facts>
        <Fact term="Status">
          <Badge value={data.status} />
        </Fact>
        <Fact term="Version">{data.version ?? '—'}</Fact>
        <Fact term="Uptime">{formatDuration(data.uptime_secs ?? data.resources?.process?.uptime_secs)}</Fact>
        <Fact term="Clients">{formatCount(data.clients)}</Fact>
        <Fact term="Scheduler">
          {data.scheduler
            ? `${data.scheduler.enabled ? 'enabled' : 'disabled'}${data.scheduler.started ? ', running' : ''}`
            : '—'}
        </Fact>
        {data.trust ? (
          <Fact term="Workspace trust">
            <TrustBadge state={data.trust.state} />
            {data.trust.held_count + (data.trust.yours_count ?? 0) > 0 ? (
              <>
                {` ${heldCountText({ settings: data.trust.held_count, yours: data.trust.yours_count ?? 0 })} held back: `}
                <a href={href('config')}>review</a>
              </>
            ) : null}
          </Fact>
        ) : null}
      </Facts>
    </Card>
  );
}

function ResourcesCard(props: { data: Health }) {
  const resources = props.data.resources;
  const process = resources?.process;
  const agents = resources?.agents;
  const sessions = resources?.sessions;
  return (
    <Card id="health-resources" title="Resources">
      <Facts>
        <Fact term="Memory (RSS)">{formatBytes(process?.rss_bytes)}</Fact>
        <Fact term="Heap used">{formatBytes(process?.heap_used_bytes)}</Fact>
        {resources?.system ? (
          <Fact term="Machine">
            {resources.system.cpus ?? '?'} CPUs, load{' '}
            {(resources.system.load_avg ?? []).map((n) => n.toFixed(2)).join(' ')},{' '}
            {formatBytes(resources.system.free_mem_bytes)} free of{' '}
            {formatBytes(resources.system.total_mem_bytes)}
          </Fact>
        ) : null}
        <Fact term="Agents">
          {agents
            ? `${formatCount(agents.running ?? agents.active)} running, ${formatCount(agents.idle)} idle, ${formatCount(agents.total)} in all`
            : '—'}
        </Fact>
        <Fact term="Sessions">
          {typeof sessions === 'number'
            ? `${formatCount(sessions)} with a running agent${
                typeof resources?.stored_sessions === 'number'
                  ? `, ${formatCount(resources.stored_sessions)} stored`
                  : ''
              }`
            : sessions
              ? Object.entries(sessions)
                  .map(([k, v]) => `${v} ${k}`)
                  .join(', ')
              : '—'}
        </Fact>
      </Facts>
    </Card>
  );
}

export function HealthPage() {
  return (
    <RefreshingPage title="Health and resources" what="health" load={() => api<Health>('/api/v1/health')}>
      {(data) => (
        <div class="grid">
          <GatewayCard data={data} />
          <ResourcesCard data={data} />
          <Card id="health-sandbox" title="Sandbox">
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
          </Card>
          <Card id="health-tool-sources" title="Tool sources">
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
          </Card>
        </div>
      )}
    </RefreshingPage>
  );
}

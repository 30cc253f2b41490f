/**
 * The live tree of agents and their sub-agents: status, turns, tokens, spend and a kill button,
 * kept current by the gateway's event stream (/api/v1/events).
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { AgentRow } from '../api-types.js';
import { followEvents } from '../event-stream.js';
import { formatCount, formatTime, formatUsd } from '../format.js';
import { href } from '../router.js';
import { Badge, Empty, ErrorBox, PageHeader, useAction } from '../ui/common.js';

const FINISHED = /^(exited|killed|completed|failed|done|finished|cancelled)$/;

interface AgentEvent {
  type?: string;
  agent?: AgentRow;
  /** An exited agent the kernel no longer lists: only its id and how it ended. */
  agent_id?: string;
  status?: string;
}

export function AgentsPage() {
  const [agents, setAgents] = useState<Map<string, AgentRow> | undefined>();
  const [error, setError] = useState<unknown>();
  const [live, setLive] = useState<{ live: boolean; problem?: string }>({ live: false });
  const [showFinished, setShowFinished] = useState(false);
  const [tick, setTick] = useState(0);
  const action = useAction();

  useEffect(() => {
    let stopped = false;
    api<{ agents: AgentRow[] }>('/api/v1/agents').then(
      (data) => {
        if (stopped) return;
        setAgents((known) => {
          const next = new Map(data.agents.map((agent) => [agent.id, agent]));
          // Events that arrived while the list loaded are newer than it.
          for (const [id, agent] of known ?? []) if (!next.has(id)) next.set(id, agent);
          return next;
        });
        setError(undefined);
      },
      (problem: unknown) => !stopped && setError(problem),
    );
    return () => {
      stopped = true;
    };
  }, [tick]);

  useEffect(
    () =>
      followEvents(
        ({ event, data }) => {
          if (event !== 'agent') return;
          const { agent, agent_id, status } = data as AgentEvent;
          setAgents((known) => {
            const next = new Map(known ?? []);
            if (agent?.id) next.set(agent.id, { ...next.get(agent.id), ...agent });
            else if (agent_id && status) {
              const current = next.get(agent_id);
              if (current) next.set(agent_id, { ...current, status });
            }
            return next;
          });
        },
        (isLive, problem) => setLive({ live: isLive, ...(problem ? { problem } : {}) }),
      ),
    [],
  );

  const kill = (agent: AgentRow) => {
    if (!confirm(`Kill agent ${agent.name} (${agent.id}) and its sub-agents?`)) return;
    void action.run(async () => {
      await api(`/api/v1/agents/${encodeURIComponent(agent.id)}/kill`, { method: 'POST' });
      setAgents((known) => {
        const next = new Map(known ?? []);
        const current = next.get(agent.id);
        if (current && !FINISHED.test(current.status)) next.set(agent.id, { ...current, status: 'killing' });
        return next;
      });
    });
  };

  const all = [...(agents?.values() ?? [])];
  const shown = showFinished ? all : all.filter((agent) => !FINISHED.test(agent.status));
  const ids = new Set(shown.map((agent) => agent.id));
  const roots = shown.filter((agent) => !agent.parent_id || !ids.has(agent.parent_id));
  const children = (id: string) => shown.filter((agent) => agent.parent_id === id);

  const node = (agent: AgentRow, depth: number): JSX.Element => {
    const kids = children(agent.id);
    const running = !FINISHED.test(agent.status) && agent.status !== 'killing';
    return (
      <li key={agent.id} class="agent-node" data-agent-id={agent.id}>
        <div class="agent-row">
          <span class="agent-name">
            {depth > 0 ? <span aria-hidden="true">↳ </span> : null}
            <strong>{agent.name}</strong> <code class="muted small">{agent.id}</code>
          </span>
          <Badge value={agent.status} />
          <span class="agent-stats small">
            {formatCount(agent.turns)} turns · {formatCount(agent.usage?.input_tokens)} in /{' '}
            {formatCount(agent.usage?.output_tokens)} out · {formatUsd(agent.cost_usd)}
            {agent.user_id ? ` · ${agent.user_id}` : ''}
            {agent.started_at ? ` · since ${formatTime(agent.started_at)}` : ''}
            {agent.session_id ? (
              <>
                {' · '}
                <a href={href('sessions', agent.session_id)}>session</a>
              </>
            ) : null}
          </span>
          {running ? (
            <button
              type="button"
              class="danger small-button"
              aria-label={`Kill ${agent.name} ${agent.id}`}
              disabled={action.busy}
              onClick={() => kill(agent)}
            >
              Kill
            </button>
          ) : null}
        </div>
        {kids.length > 0 ? (
          <ul class="agent-children" aria-label={`Sub-agents of ${agent.name}`}>
            {kids.map((kid) => node(kid, depth + 1))}
          </ul>
        ) : null}
      </li>
    );
  };

  return (
    <section aria-labelledby="page-title">
      <PageHeader title="Agents">
        <span role="status" class="small">
          <Badge value={live.live ? 'live' : 'not live'} tone={live.live ? 'ok' : 'warn'} />
          {!live.live && live.problem ? <span class="muted"> {live.problem}</span> : null}
        </span>
        <label class="check">
          <input
            type="checkbox"
            checked={showFinished}
            onChange={(event) => setShowFinished((event.target as HTMLInputElement).checked)}
          />
          Show finished
        </label>
        <button type="button" onClick={() => setTick((n) => n + 1)}>
          Refresh
        </button>
      </PageHeader>
      <ErrorBox error={error} what="Could not load the agents" />
      <ErrorBox error={action.error} />
      {agents === undefined ? (
        error ? null : (
          <p class="muted">Loading agents…</p>
        )
      ) : roots.length === 0 ? (
        <Empty>No agents are running. Agents appear here while a turn, a schedule or a task runs.</Empty>
      ) : (
        <ul class="agent-tree" aria-label="Agents and their sub-agents">
          {roots.map((agent) => node(agent, 0))}
        </ul>
      )}
    </section>
  );
}

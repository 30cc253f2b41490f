/**
 * Chat channels (admin): each configured channel's health as the process answering it (this
 * gateway, or `oxydra channels run`) last recorded it (running or not by its heartbeat's age), who may talk, the messages stored and
 * the outbox, with the sends the platform refused for good. Refreshed every 10 s.
 */
import { api } from '../api.js';
import type { ChannelInfo } from '../api-types.js';
import { formatCount, formatDuration, formatTime } from '../format.js';
import { Card, Fact, Facts, RefreshingPage } from '../ui/card.js';
import { Badge, Empty } from '../ui/common.js';
import { Table } from '../ui/table.js';

type Failure = ChannelInfo['outbox']['recent_failures'][number];

/** One word for the channel's state: running, stopped, not responding (no heartbeat), never run, disabled. */
function stateOf(channel: ChannelInfo): { word: string; tone: 'ok' | 'warn' | 'bad' | 'neutral' } {
  const h = channel.health;
  if (h?.running) return { word: 'running', tone: 'ok' };
  if (!channel.enabled) return { word: 'disabled', tone: 'neutral' };
  if (!h) return { word: 'never run', tone: 'neutral' };
  if (h.stopped_at) return { word: 'stopped', tone: 'warn' };
  return { word: 'not responding', tone: 'bad' };
}

/** "this gateway (pid 4242 on box, since ...)", or "oxydra channels run (pid ...)". */
function processText(h: NonNullable<ChannelInfo['health']>): string {
  const who = h.this_process ? 'this gateway' : (h.role ?? 'a process');
  return `${who} (pid ${h.pid} on ${h.host}, since ${formatTime(h.started_at)})`;
}

function ChannelCard(props: { channel: ChannelInfo }) {
  const c = props.channel;
  const h = c.health;
  const state = stateOf(c);
  const messages = Object.entries(c.inbound).map(([status, n]) => `${formatCount(n)} ${status}`);
  return (
    <Card
      id={`channel-${c.channel}`}
      title={
        <>
          {c.channel} <Badge value={state.word} tone={state.tone} />
        </>
      }
    >
      <Facts>
        <Fact term="Bot">{h?.bot_name ?? '—'}</Fact>
        <Fact term="Process">{h ? processText(h) : '—'}</Fact>
        <Fact term="Heartbeat">
          {h
            ? h.stopped_at
              ? `stopped ${formatTime(h.stopped_at)}`
              : `${formatDuration(h.heartbeat_age_secs)} ago`
            : '—'}
        </Fact>
        <Fact term="Last receive">{formatTime(h?.last_receive_at)}</Fact>
        <Fact term="Last send">{formatTime(h?.last_send_at)}</Fact>
        <Fact term="Last error" wrap>
          {h?.last_error ? (
            <>
              <span class="error-text">{h.last_error}</span>{' '}
              <span class="muted small">{formatTime(h.last_error_at)}</span>
            </>
          ) : (
            'none'
          )}
        </Fact>
        <Fact term="Senders">
          {`${formatCount(c.senders)} listed (${formatCount(c.sender_ids)} platform ids); agent ${c.agent ?? 'default'}`}
        </Fact>
        <Fact term="Messages">
          {messages.join(', ') || 'none yet'}
          {c.last_received_at ? (
            <span class="muted small"> last {formatTime(c.last_received_at)}</span>
          ) : null}
        </Fact>
        <Fact term="Outbox">
          {`${formatCount(c.outbox.unsent)} waiting to send, `}
          {c.outbox.failed > 0 ? (
            <Badge value={`${formatCount(c.outbox.failed)} failed`} tone="bad" />
          ) : (
            '0 failed'
          )}
        </Fact>
      </Facts>
    </Card>
  );
}

export function ChannelsPage() {
  return (
    <RefreshingPage
      title="Channels"
      what="the channels"
      load={() => api<{ channels: ChannelInfo[] }>('/api/v1/channels')}
    >
      {(data) => {
        const failures = data.channels.flatMap((c) =>
          c.outbox.recent_failures.map((f) => ({ ...f, channel: c.channel })),
        );
        return (
          <>
            {data.channels.length === 0 ? (
              <Empty>No chat channel is configured (see docs/channels.md).</Empty>
            ) : (
              <div class="grid">
                {data.channels.map((c) => (
                  <ChannelCard key={c.channel} channel={c} />
                ))}
              </div>
            )}
            <h2>Failed sends</h2>
            <Table<Failure & { channel: string }>
              caption="Messages the platforms refused for good, newest first"
              empty="No failed sends."
              rows={failures}
              rowKey={(f) => `${f.channel}:${f.key}`}
              columns={[
                { header: 'Time', sort: (f) => f.failed_at, cell: (f) => formatTime(f.failed_at) },
                { header: 'Channel', sort: (f) => f.channel, cell: (f) => f.channel },
                {
                  header: 'Chat',
                  cell: (f) => (f.thread_id ? `${f.chat_id} (thread ${f.thread_id})` : f.chat_id),
                },
                { header: 'Error', class: 'wrap', cell: (f) => f.error },
                { header: 'Message', class: 'wrap small', cell: (f) => f.text },
              ]}
            />
          </>
        );
      }}
    </RefreshingPage>
  );
}

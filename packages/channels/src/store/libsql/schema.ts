/**
 * The channel database's schema, `.oxydra/channels.db`, one step per release (never edit a
 * released one; append). user_version says how many steps the file has.
 */
export const CHANNEL_MIGRATIONS: readonly string[] = [
  `CREATE TABLE channel_cursor (
     channel TEXT PRIMARY KEY,
     cursor TEXT NOT NULL
   );
   CREATE TABLE channel_inbound (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     channel TEXT NOT NULL,
     conversation TEXT NOT NULL,
     message_id TEXT NOT NULL,
     chat_id TEXT NOT NULL,
     thread_id TEXT,
     sender_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     text TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'answered', 'failed', 'stopped', 'interrupted')),
     received_at TEXT NOT NULL,
     UNIQUE (channel, conversation, message_id)
   );
   CREATE INDEX channel_inbound_status ON channel_inbound (channel, status);
   CREATE TABLE channel_sessions (
     channel TEXT NOT NULL,
     conversation TEXT NOT NULL,
     session_id TEXT NOT NULL,
     PRIMARY KEY (channel, conversation)
   );
   CREATE TABLE channel_outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     channel TEXT NOT NULL,
     key TEXT NOT NULL,
     chat_id TEXT NOT NULL,
     thread_id TEXT,
     text TEXT NOT NULL,
     edit_of TEXT,
     sent_id TEXT,
     sent_at TEXT,
     UNIQUE (channel, key)
   );
   CREATE INDEX channel_outbox_unsent ON channel_outbox (channel, sent_at);`,
  // Health across processes, and sends given up on kept with their error: a failed message has
  // sent_at set (it left the queue), sent_id NULL and failed_at with its error.
  `CREATE TABLE channel_health (
     channel TEXT PRIMARY KEY,
     bot_name TEXT,
     pid INTEGER NOT NULL,
     host TEXT NOT NULL,
     started_at TEXT NOT NULL,
     heartbeat_at TEXT NOT NULL,
     stopped_at TEXT,
     last_receive_at TEXT,
     last_send_at TEXT,
     last_error TEXT,
     last_error_at TEXT
   );
   ALTER TABLE channel_outbox ADD COLUMN failed_at TEXT;
   ALTER TABLE channel_outbox ADD COLUMN error TEXT;
   CREATE INDEX channel_outbox_failed ON channel_outbox (channel, failed_at) WHERE failed_at IS NOT NULL;`,
  // Where a schedule's results are delivered (oxydra schedule add --notify <channel>:<chat>).
  `CREATE TABLE channel_schedule_targets (
     schedule_id TEXT PRIMARY KEY,
     channel TEXT NOT NULL,
     chat_id TEXT NOT NULL,
     thread_id TEXT,
     user_id TEXT NOT NULL
   );`,
  // Pairing (unknown_senders = "pair"): strangers' open requests, each code only as a salted hash,
  // and the senders the owner let in. Files: what was sent with a message (JSON), and the file an
  // outbox message sends (a workspace path).
  `CREATE TABLE channel_pairing_requests (
     channel TEXT NOT NULL,
     sender_id TEXT NOT NULL,
     name TEXT,
     chat_id TEXT NOT NULL,
     code_hash TEXT NOT NULL,
     requested_at TEXT NOT NULL,
     PRIMARY KEY (channel, sender_id)
   );
   CREATE TABLE channel_paired_senders (
     channel TEXT NOT NULL,
     sender_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     name TEXT,
     paired_at TEXT NOT NULL,
     PRIMARY KEY (channel, sender_id)
   );
   ALTER TABLE channel_inbound ADD COLUMN attachments TEXT;
   ALTER TABLE channel_outbox ADD COLUMN file TEXT;`,
  // Where a message's turn began (ChannelTurnMark, as JSON), written before the turn is handed
  // to the kernel: at start the host tells from it a turn that never began from one that finished.
  `ALTER TABLE channel_inbound ADD COLUMN turn TEXT;`,
  // What process holds a channel ("oxydra gateway", "oxydra channels run"), named when a second is refused.
  'ALTER TABLE channel_health ADD COLUMN role TEXT;',
];

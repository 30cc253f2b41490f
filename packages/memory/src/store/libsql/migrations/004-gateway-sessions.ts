/**
 * Version 4: what the gateway keeps per session. archived_at: when an idle session was archived
 * (NULL while active; activity clears it again). channel_origin: where the session was started
 * ("gateway", a chat channel's name...); NULL for sessions the CLI started.
 */
import type { Migration } from './types.js';

export const gatewaySessionsMigration: Migration = {
  version: 4,
  name: 'gateway-sessions',
  statements: [
    'ALTER TABLE sessions ADD COLUMN archived_at TEXT',
    'ALTER TABLE sessions ADD COLUMN channel_origin TEXT',
    // The idle sweep reads the oldest active sessions; per-user limits count active ones.
    'CREATE INDEX sessions_active_by_updated ON sessions(updated_at) WHERE archived_at IS NULL',
    'CREATE INDEX sessions_active_by_user ON sessions(user_id) WHERE archived_at IS NULL',
  ],
};

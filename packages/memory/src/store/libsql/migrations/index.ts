/**
 * The schema, version by version. Never edit a released migration: add the next one. Tests
 * migrate from empty and from every earlier version, so each step must apply to the previous.
 */
import { sessionsMigration } from './001-sessions.js';
import { notesMigration } from './002-notes.js';
import { retrievalMigration } from './003-retrieval.js';
import { gatewaySessionsMigration } from './004-gateway-sessions.js';
import { kernelStateMigration } from './005-kernel-state.js';
import { sessionGenerationMigration } from './006-session-generation.js';
import { chunkTaintMigration } from './007-chunk-taint.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

export const MIGRATIONS: readonly Migration[] = [
  sessionsMigration,
  notesMigration,
  retrievalMigration,
  gatewaySessionsMigration,
  kernelStateMigration,
  sessionGenerationMigration,
  chunkTaintMigration,
];

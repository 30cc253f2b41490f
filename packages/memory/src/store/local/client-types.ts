/**
 * The @libsql/client types that the memory package's own Client implementations (local-client.ts,
 * serial-client.ts) are written against, in one place: both implement the same interface.
 */
import type { InArgs, InStatement } from '@libsql/client';

export type {
  Client,
  InArgs,
  InStatement,
  Replicated,
  ResultSet,
  Transaction,
  TransactionMode,
} from '@libsql/client';

/** One entry of Client.batch: a statement, or SQL with its arguments. */
export type BatchStatement = InStatement | [string, InArgs?];

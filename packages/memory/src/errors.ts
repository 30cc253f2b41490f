/**
 * The memory store's errors. Each names what was wrong and what to do next, because the notes
 * errors reach the model verbatim through the memory tools and the session errors reach people
 * through the CLI.
 */
import { OxydraError } from '@oxydra/types';

/** Bad input to a store call (empty note, too many tags, bad id): the caller can fix and retry. */
export class MemoryValidationError extends OxydraError {
  /** The input field at fault: `content`, `tags`, `title`, `id`... */
  readonly field: string;
  constructor(field: string, message: string) {
    super('tool_error', message);
    this.field = field;
  }
}

/** The database was written by a newer Oxydra: opening it with this one could corrupt it. */
export class SchemaTooNewError extends OxydraError {
  readonly found: number;
  readonly supported: number;
  constructor(where: string, found: number, supported: number) {
    super(
      'config_error',
      `memory database ${where} has schema version ${found}, but this Oxydra understands versions up to ${supported}: upgrade Oxydra to open it`,
      {
        hint: 'a newer Oxydra created or migrated this database; install the newer version (older versions must not write to it)',
      },
    );
    this.found = found;
    this.supported = supported;
  }
}

/** A stored event that no longer parses as a message: the file was edited or damaged. */
export class CorruptEventError extends OxydraError {
  constructor(sessionId: string, seq: number, why: string) {
    super('internal_error', `session ${sessionId}, message ${seq}: stored payload is unreadable (${why})`);
  }
}

/** Part of the store contracts (@oxydra/types); re-exported here where they always lived. */
export {
  NoteNotFoundError,
  SessionExistsError,
  SessionNotFoundError,
  StateConflictError,
} from '@oxydra/types';

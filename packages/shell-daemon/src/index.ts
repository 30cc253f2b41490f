export {
  connectShellDaemon,
  ShellDaemonClient,
  ShellDaemonRequestError,
  type ShellRunResult,
} from './client.js';
export {
  execCommandSchema,
  killSessionSchema,
  OUTPUT_STREAMS,
  type OutputStream,
  type ParsedShellRequest,
  type ShellOp,
  type ShellRequest,
  type ShellRequestPayload,
  type ShellResponse,
  type ShellResponseFor,
  shellRequestSchema,
  shellResponseSchema,
  spawnSessionSchema,
  streamOutputSchema,
} from './protocol.js';
export { type ShellDaemon, type ShellDaemonOptions, startShellDaemon } from './server.js';
export { DEFAULT_MAX_SESSION_OUTPUT_BYTES, DEFAULT_MAX_STREAM_CHUNK_BYTES } from './sessions.js';

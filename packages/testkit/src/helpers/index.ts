/**
 * `@oxydra/testkit/helpers`: what Oxydra's own tests share beyond the mock servers: one polling
 * helper, one temporary workspace, the processes a test left behind, a free port, a TCP link
 * that cuts connections on demand, an HTTP relay that holds chosen requests, a kernel's options on a scripted provider, and the vectors the mock's embedding endpoints answer with.
 * A subpath, so the published `oxydra/testkit` API stays the mock servers and scripted providers.
 */
export { base64Floats, mockEmbedding } from '../embeddings-vectors.js';
export { freePort } from './free-port.js';
export { type HoldingRelay, holdingRelay } from './holding-relay.js';
export { type PollOptions, pollUntil } from './poll.js';
export { processesLeftBehind, processesWith, uniqueSleep } from './processes.js';
export { scriptedKernelOptions } from './scripted-kernel.js';
export { TcpLink } from './tcp-link.js';
export { type TempWorkspace, type TempWorkspaceOptions, tempWorkspace } from './temp-workspace.js';

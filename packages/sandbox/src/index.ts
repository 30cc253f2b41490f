export {
  type HostPattern,
  hostAllowed,
  hostPatternProblem,
  parseHostPattern,
} from '@oxydra/types';
export {
  type BwrapArgsOptions,
  bwrapArgs,
  defaultDeniedPaths,
  homeSecretPaths,
  PROC_READ_ONLY,
  SANDBOX_HOME,
  SYSTEM_ROOTS,
} from './args.js';
export { type DetectOptions, detectSandbox, probeSandbox, type SandboxDetection } from './detect.js';
export { BRIDGE_SCRIPT, PROXY_PORT } from './egress/bridge.js';
export { type EgressDecision, type EgressProxy, startEgressProxy } from './egress/proxy.js';
export { EGRESS_MOUNT, type EgressSession, openEgressSession, proxyEnv } from './egress/session.js';
export {
  DEFAULT_MAX_FRAME_BYTES,
  decodeFramePayload,
  encodeFrame,
  FrameDecoder,
  FrameTooLargeError,
  readFirstFrame,
  readFrames,
} from './frames.js';
export { HOME_STARTUP_ENTRIES, homeGuardedPaths, homeInsideWorkspace } from './home-guard.js';
export {
  NOBODY,
  type SandboxIdentity,
  SETPRIV,
  sandboxIdentity,
  setprivPrefix,
  workspaceAccessProblem,
} from './identity.js';
export {
  createPidsCgroup,
  type Limits,
  type PidsCgroup,
  prlimitPrefix,
  processLimitEnforced,
} from './limits.js';
export { HeadTailBuffer } from './output-buffer.js';
export { forgetProbe, probeCacheDir, probeCacheFile, probeCacheKey } from './probe-cache.js';
export { processAlive } from './process-alive.js';
export {
  DEFAULT_COMMAND_OUTPUT_BYTES,
  DEFAULT_KILL_GRACE_MS,
  type ProcessLaunch,
  runProcessGroup,
} from './process-group.js';
export { type BubblewrapRunnerOptions, BWRAP, createBubblewrapRunner } from './runner.js';
export {
  createSeatbeltRunner,
  SANDBOX_EXEC,
  type SeatbeltProfileOptions,
  type SeatbeltRunnerOptions,
  sandboxEnv,
  seatbeltProfile,
} from './seatbelt.js';
export { SECCOMP_DENIED_CALLS, seccompProgram } from './seccomp.js';
export type { CommandResult, CommandRunner, RunCommandOptions } from './types.js';
export { listenOnUnixSocket, removeStaleSocket, socketAnswers } from './unix-socket.js';
export { utf8Prefix, utf8Suffix } from './utf8.js';

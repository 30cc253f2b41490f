/**
 * @oxydra/sandbox: everything, for callers that run commands. What a process needs at start
 * (detection, identity, the hidden folders) is also `@oxydra/sandbox/detect`, which loads none
 * of the runners.
 */
export {
  type HostPattern,
  hostAllowed,
  hostPatternProblem,
  parseHostPattern,
} from '@oxydra/types';
export {
  abstractSocketScopePrefix,
  abstractSocketScopeSupported,
  probeAbstractSocketScope,
} from './abstract-socket-scope.js';
export {
  type BwrapArgsOptions,
  bwrapArgs,
  defaultDeniedPaths,
  PROC_READ_ONLY,
  SANDBOX_HOME,
  SYSTEM_ROOTS,
  sharesHostNetwork,
} from './args.js';
export { BRIDGE_SCRIPT, PROXY_PORT } from './egress/bridge.js';
export { routeFetchThroughProxy, tunnel } from './egress/fetch-via-proxy.js';
export {
  EGRESS_MAX_CONNECTIONS,
  type EgressDecision,
  type EgressProxy,
  startEgressProxy,
} from './egress/proxy.js';
export { type ProxyCore, type ProxyTarget, type ProxyVerdict, startProxyCore } from './egress/proxy-core.js';
export { EGRESS_MOUNT, type EgressSession, openEgressSession, proxyEnv } from './egress/session.js';
export * from './exports/detect.js';
export {
  DEFAULT_MAX_FRAME_BYTES,
  decodeFramePayload,
  encodeFrame,
  FrameDecoder,
  FrameTooLargeError,
  readFirstFrame,
  readFrames,
} from './frames.js';
export { withInheritedCovered } from './inherited-fds.js';
export {
  createPidsCgroup,
  type Limits,
  type PidsCgroup,
  prlimitPrefix,
} from './limits.js';
export { HeadTailBuffer } from './output-buffer.js';
export { processAlive, processStartTime, sameProcessAlive } from './process-alive.js';
export { type ProcessLaunch, runProcessGroup } from './process-group.js';
export { type BubblewrapRunnerOptions, createBubblewrapRunner } from './runner.js';
export {
  createSeatbeltRunner,
  type SeatbeltProfileOptions,
  type SeatbeltRunnerOptions,
  sandboxEnv,
  seatbeltProfile,
} from './seatbelt.js';
export { SECCOMP_DENIED_CALLS, seccompProgram } from './seccomp.js';
export { listenOnUnixSocket, removeStaleSocket, socketAnswers } from './unix-socket.js';

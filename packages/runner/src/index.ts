export {
  CONTROL_ERROR_CODES,
  type ControlRequest,
  type ControlResponse,
  controlRequestSchema,
  controlResponseSchema,
  type HealthStatus,
  LOG_ROLES,
  LOG_STREAMS,
  LOG_TAIL_DEFAULT,
  LOG_TAIL_MAX,
  type LogEntry,
  type LogsRequest,
  type LogsResponse,
  logsRequestSchema,
  type ShutdownStatus,
} from './control-protocol.js';
export { type ControlServer, RunnerNotRunning, sendControl, serveControlSocket } from './control-socket.js';
export {
  type DaemonOptions,
  DEFAULT_STOP_GRACE_MS,
  describeExit,
  RunnerDaemon,
  readGatewayEndpoint,
} from './daemon.js';
export { type DaemonMainOptions, runDaemonMain } from './daemon-main.js';
export {
  type BootstrapEnvelope,
  bootstrapEnvelopeSchema,
  EnvelopeError,
  encodeEnvelope,
  parseEnvelope,
  readEnvelopeFile,
  readEnvelopeFrame,
  runtimePolicySchema,
} from './envelope.js';
export { guestEnvelope } from './guest-envelope.js';
export { type GuestExit, type GuestHandle, launchGuest, logFilePath } from './guest-launch.js';
export { encodeGuestSecrets, readGuestSecrets } from './guest-secrets.js';
export { readGuestGatewayToken } from './guest-token.js';
export {
  type BuildOutcome,
  type BuildRequest,
  baseImageTag,
  buildGuestImage,
  guestContainerfile,
  hostSuite,
  mmdebstrapArgs,
} from './image/build-image.js';
export { GUEST_IMAGE_REPOSITORY, guestFiles, guestImageTag } from './image/guest-files.js';
export { currentGuestImageTag, imageHandoff, resolveGuestImage } from './image/guest-image.js';
export { type GuestImage, listGuestImages, type PruneOutcome, pruneGuestImages } from './image/images.js';
export {
  type DaemonProcess,
  queryRunner,
  type ReadyOutcome,
  type RunnerState,
  readPidFile,
  type StopOutcome,
  spawnRunnerDaemon,
  stopRunner,
  waitUntilReady,
} from './lifecycle.js';
export { formatLogEntry, readLogs, tailLines } from './logs.js';
export {
  DEFAULT_RUNNER_CONFIG,
  type PlanRequest,
  planRunner,
  projectDirOf,
  type RunnerPlan,
} from './plan.js';
export {
  DEGRADED_REASON_CODES,
  type DegradedReasonCode,
  type StartupStatus,
  startupStatusFor,
  startupStatusSchema,
} from './startup-status.js';
export { type BackendRequest, chooseBackend, type GuestBackend, type OsSandbox } from './tiers/choose.js';
export {
  type ContainerGuestSpec,
  containerName,
  containerRunArgs,
  GUEST_BOOTSTRAP_FILE,
  GUEST_WORKSPACE,
} from './tiers/container-args.js';
export {
  type ContainerEngine,
  detectContainerEngine,
  type EngineDetection,
} from './tiers/container-engine.js';
export { refuseContainerOfAnotherProject } from './tiers/container-holder.js';
export {
  type ContainerNetwork,
  type ContainerNetworkDirs,
  containerNetworkDirs,
  forwardingServer,
  GUEST_EGRESS_SOCKET,
  GUEST_GATEWAY_SOCKET,
  startContainerNetwork,
} from './tiers/container-network.js';
export { engineHandoff } from './tiers/detect-once.js';
export { type EngineDialect, engineDialect, refuseUnenforcedLimits } from './tiers/engine-dialect.js';
export { findOnPath } from './tiers/find-program.js';
export { guestEnvNames } from './tiers/guest-env.js';
// The micro-VM tier (QEMU): its detection, and the guest image `oxydra runner vm build` makes.
export { describeMicroVm, detectMicroVm, type MicroVmDetection } from './tiers/microvm/detect.js';
export { buildVmImage } from './tiers/microvm/vm-image.js';
export { vmImageDir, vmImageManifest } from './tiers/microvm/vm-image-dir.js';
export { pinnedProviderHosts, registryHosts } from './tiers/provider-hosts.js';
export { autoTier, type TierReportRequest, type TierState, tierReport } from './tiers/tier-report.js';
export { guestUlimits } from './tiers/ulimits.js';
export { resolveRunnerUser } from './users.js';
export { provisionWorkspace, WORKSPACE_FOLDERS, type WorkspacePaths, workspacePaths } from './workspace.js';

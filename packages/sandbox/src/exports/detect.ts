/**
 * `@oxydra/sandbox/detect`: what a process needs at start, without loading the code that runs
 * commands. Which sandbox this machine gives (and its on-disk probe cache), who commands run as,
 * the folders hidden from them, whether the seccomp filter exists for this architecture, and a
 * runner whose code (bubblewrap's arguments, the warm sandbox, the egress proxy, seccomp) loads
 * with its first command. The package's index has everything; importing it loads all of it.
 */
export { hostNetworkDegradation } from '../abstract-socket-scope.js';
export { processLimitEnforced } from '../cgroup-parent.js';
export {
  BWRAP,
  type DetectOptions,
  detectSandbox,
  forgetProbe,
  probeCacheDir,
  probeCacheFile,
  probeCacheKey,
  probeSandbox,
  SANDBOX_EXEC,
  type SandboxDetection,
} from '../detect.js';
export {
  HOME_STARTUP_ENTRIES,
  homeGuardedPaths,
  homeInsideWorkspace,
  homeSecretPaths,
} from '../home-guard.js';
export {
  NOBODY,
  type SandboxIdentity,
  SETPRIV,
  sandboxIdentity,
  setprivPrefix,
  workspaceAccessFix,
  workspaceAccessProblem,
} from '../identity.js';
export { runnerAtFirstCommand, type SandboxRunnerOptions } from '../runner-at-first-command.js';
export { seccompSupported } from '../seccomp-arches.js';
export {
  type CommandResult,
  type CommandRunner,
  DEFAULT_COMMAND_OUTPUT_BYTES,
  DEFAULT_KILL_GRACE_MS,
  type RunCommandOptions,
} from '../types.js';
export { utf8Prefix, utf8Suffix } from '../utf8.js';

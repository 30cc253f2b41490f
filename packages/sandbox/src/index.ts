export { type BwrapArgsOptions, bwrapArgs, defaultDeniedPaths, SANDBOX_HOME, SYSTEM_ROOTS } from './args.js';
export { detectSandbox, type SandboxDetection } from './detect.js';
export { createPidsCgroup, type Limits, type PidsCgroup, prlimitPrefix } from './limits.js';
export { HeadTailBuffer } from './output-buffer.js';
export {
  DEFAULT_COMMAND_OUTPUT_BYTES,
  DEFAULT_KILL_GRACE_MS,
  type ProcessLaunch,
  runProcessGroup,
} from './process-group.js';
export { type BubblewrapRunnerOptions, BWRAP, createBubblewrapRunner } from './runner.js';
export type { CommandResult, CommandRunner, RunCommandOptions } from './types.js';
export { utf8Prefix, utf8Suffix } from './utf8.js';

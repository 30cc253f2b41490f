export { type BwrapArgsOptions, bwrapArgs, defaultDeniedPaths, SANDBOX_HOME, SYSTEM_ROOTS } from './args.js';
export { detectSandbox, type SandboxDetection } from './detect.js';
export { createPidsCgroup, type Limits, type PidsCgroup, prlimitPrefix } from './limits.js';
export { type BubblewrapRunnerOptions, BWRAP, createBubblewrapRunner } from './runner.js';
export type { CommandResult, CommandRunner, RunCommandOptions } from './types.js';

/**
 * `@oxydra/config/admin`: the parts of configuration no agent run uses: the gateway token file,
 * the rotating log files and their reading, the runner's per-user configuration, in-place TOML
 * edits (`oxydra config set`) and the generated reference. Kept out of `@oxydra/config` so a
 * one-shot `oxydra run` does not load them (issue 32: "a small core").
 */
export * from '../gateway-token.js';
export * from '../log-read.js';
export * from '../log-write.js';
export * from '../reference.js';
export * from '../runner.js';
export * from '../toml-edit.js';

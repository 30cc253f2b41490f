/**
 * `@oxydra/types/config-full`: the full agent configuration schema and the `[scheduler]` and
 * `[channels]` schemas it adds to the core one. Imported by what validates or walks those
 * sections (the configuration loader when a file names them, `oxydra config`, the reference,
 * the channels and the scheduler); a plain `oxydra run` loads none of it.
 */
export * from './config/agent-full-schema.js';
export * from './config/channels-plugin-schema.js';
export * from './config/channels-schema.js';
export * from './config/scheduler-schema.js';

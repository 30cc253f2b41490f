/** `@oxydra/kernel/checkpoints`: the workspace history's types (`kernel.service('checkpoints')`). */
export type { Checkpoint, CheckpointTag, FileChange, RestoreReport } from '../services/checkpoints/index.js';
export type { CheckpointCalls, RunHistory, UndoReport } from '../services/history/workspace-history.js';

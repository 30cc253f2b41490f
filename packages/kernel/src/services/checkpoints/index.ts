export { GitCommandError, GitMissingError } from './git.js';
export { restoreCopy } from './restore-copy.js';
export { CheckpointStore } from './store.js';
export { MANIFEST_PATH } from './tree-state.js';
export {
  type Checkpoint,
  CheckpointError,
  type CheckpointStoreOptions,
  type CheckpointTag,
  type FileChange,
  type ManifestEntry,
  type RestoreReport,
} from './types.js';

export { GitCommandError, GitMissingError } from './git.js';
export { restoreCopy } from './restore-copy.js';
export { CheckpointStore } from './store.js';
export {
  type Checkpoint,
  CheckpointError,
  type CheckpointTag,
  type FileChange,
  type RestoreReport,
  TamperedStoreError,
  TooManyFilesError,
} from './types.js';

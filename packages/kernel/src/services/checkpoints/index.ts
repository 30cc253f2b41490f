export { GitCommandError, GitMissingError } from './git.js';
export {
  type Checkpoint,
  CheckpointError,
  CheckpointStore,
  type CheckpointStoreOptions,
  type CheckpointTag,
  type FileChange,
  MANIFEST_PATH,
  type ManifestEntry,
  type RestoreReport,
} from './store.js';

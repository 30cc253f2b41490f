export {
  isInside,
  type OutsideFile,
  readSmallFile,
  readSmallFileInside,
  realPathInside,
  type SmallFile,
  type SmallFileOptions,
  type SmallFileProblem,
  WRITTEN_BY_ME,
} from './read-small-file.js';

export {
  isInside,
  type OutsideFile,
  readSmallFile,
  readSmallFileInside,
  realPathInside,
  type SmallFile,
  type SmallFileOptions,
  type SmallFileProblem,
} from './read-small-file.js';

export {
  isInside,
  readSmallFile,
  readSmallFileInside,
  type SmallFile,
  type SmallFileOptions,
  type SmallFileProblem,
} from './read-small-file.js';

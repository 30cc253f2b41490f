export { isInside, readSmallFileInside } from './read-inside.js';
export {
  readSmallFile,
  type SmallFile,
  type SmallFileOptions,
  type SmallFileProblem,
} from './read-small-file.js';

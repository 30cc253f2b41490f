/** The bounded head-and-tail output capture lives with the process runner, in @oxydra/sandbox. */
export { HeadTailBuffer } from '@oxydra/sandbox';

/**
 * How deep the tree walks (file_delete's removal, the JS search) go. Each level holds an open
 * folder and its path until the level below is done, so a tree a command nested 20,000 deep
 * (a one-line loop) cost memory growing with the square of its depth and ran the process out
 * of it. Real projects nest a few dozen levels; deeper ones are left to the shell.
 */
export const MAX_WALK_DEPTH = 128;

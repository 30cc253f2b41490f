/**
 * Exit codes: 0 success, 1 the work failed, 2 a usage or configuration mistake, 130 the user
 * interrupted (Ctrl-C), as a shell reports a program ended by SIGINT.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** Exit codes: 0 success, 1 the work failed, 2 a usage or configuration mistake. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * How installed programs are laid out in their folder (programsDirectory, skills/locations.ts:
 * the folder is a skill tier, located with the others):
 *
 *   programs/<name>                     a symbolic link to the version in use
 *   programs/.versions/<name>-<v>-<r>/  each installed version, complete before the link moves
 *   programs/state.json                 enabled or not, where from, missing optional host tools
 */
export const VERSIONS_DIR = '.versions';
export const STATE_FILE = 'state.json';

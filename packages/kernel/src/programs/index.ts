export { type ProgramsPlace, programsDirectory } from '../skills/locations.js';
export { checkHostRequirements, findExecutable, type HostCheck } from './host-tools.js';
export { installProgram, type ProgramInstallOptions, type ProgramInstallResult } from './install.js';
export { type InstalledProgram, installedPrograms } from './installed.js';
export { listPrograms, removeProgram, setProgramEnabled } from './manage.js';
export { type ProgramManifest, parseManifest, readManifest } from './manifest.js';
export type { ProgramRecord } from './program-state.js';

// Where the kernel's fixtures (characters, plugins, programs, skills) live, for other packages'
// tests (they import @oxydra/kernel/testing/fixture-paths, not a relative path into this folder).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));

/** The path of packages/kernel/test/fixtures, or of something in it: kernelFixtures('plugins', 'early'). */
export const kernelFixtures = (...parts: string[]): string => join(FIXTURES, ...parts);

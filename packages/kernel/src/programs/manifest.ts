/**
 * program.toml, an Oxios program's manifest: `[program] name, version, description, author`,
 * `[requires_tools] names` (the Oxydra tools its skill needs) and `[host_requirements] required,
 * optional` (executables looked up on PATH). Other tables and keys are ignored, so manifests
 * written for Oxios (its `[tools]` table) are read unchanged.
 */
import { parse } from 'smol-toml';
import { z } from 'zod';
import { readInside } from '../skills/safe-fs.js';
import { MAX_DESCRIPTION, SKILL_NAME } from '../skills/skill.js';

export const MANIFEST_FILE = 'program.toml';
const MAX_MANIFEST_BYTES = 64 * 1024;
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
/** An executable's name, never a path: it is looked up on PATH. */
const EXECUTABLE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

export interface ProgramManifest {
  name: string;
  version: string;
  description: string;
  author?: string;
  requiresTools: string[];
  hostRequired: string[];
  hostOptional: string[];
}

const manifestSchema = z.looseObject({
  program: z.looseObject({
    name: z.string().regex(SKILL_NAME, 'must be lowercase letters, digits and hyphens, at most 64'),
    version: z.string().regex(SEMVER, 'must be a semantic version such as 1.2.0'),
    description: z.string().trim().min(1, 'must not be empty').max(MAX_DESCRIPTION),
    author: z.string().optional(),
  }),
  requires_tools: z.looseObject({ names: z.array(z.string().min(1)).default([]) }).optional(),
  host_requirements: z
    .looseObject({
      required: z.array(z.string().regex(EXECUTABLE, 'must be an executable name, not a path')).default([]),
      optional: z.array(z.string().regex(EXECUTABLE, 'must be an executable name, not a path')).default([]),
    })
    .optional(),
});

/** Parses a manifest's text; throws an Error whose message names the key and the problem. */
export function parseManifest(text: string): ProgramManifest {
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    throw new Error(`${MANIFEST_FILE} is not valid TOML: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = manifestSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.join('.') || 'program';
    throw new Error(
      `${MANIFEST_FILE}: ${key} ${issue.code === 'invalid_type' ? 'is missing or of the wrong type' : issue.message}`,
    );
  }
  const { program, requires_tools, host_requirements } = parsed.data;
  const manifest: ProgramManifest = {
    name: program.name,
    version: program.version,
    description: program.description,
    requiresTools: [...new Set(requires_tools?.names ?? [])],
    hostRequired: [...new Set(host_requirements?.required ?? [])],
    hostOptional: [...new Set(host_requirements?.optional ?? [])],
  };
  if (program.author !== undefined) manifest.author = program.author;
  return manifest;
}

/** The manifest in a program folder (a regular file inside it, at most 64 KiB). */
export function readManifest(dir: string): ProgramManifest {
  let file: ReturnType<typeof readInside>;
  try {
    file = readInside(dir, MANIFEST_FILE, MAX_MANIFEST_BYTES);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`there is no ${MANIFEST_FILE}`);
    throw new Error(`${MANIFEST_FILE}: ${(error as Error).message}`);
  }
  if (file.truncated || file.binary) throw new Error(`${MANIFEST_FILE} is larger than 64 KiB or not text`);
  return parseManifest(file.text);
}

/**
 * programs/state.json: what the folders do not say — whether a program is enabled, where it was
 * installed from, which optional host tools were missing. Written atomically (temporary file,
 * fsync, rename), so a reader sees the old state or the new one.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '@oxydra/config';
import { z } from 'zod';
import { readRegular } from '../skills/safe-fs.js';
import { STATE_FILE } from './layout.js';

const recordSchema = z.looseObject({
  enabled: z.boolean().default(true),
  source: z.string().optional(),
  installed_at: z.string().optional(),
  missing_optional: z.array(z.string()).default([]),
});
const stateSchema = z.looseObject({
  version: z.literal(1).default(1),
  programs: z.record(z.string(), recordSchema).default({}),
});

export type ProgramRecord = z.output<typeof recordSchema>;
export type ProgramsState = z.output<typeof stateSchema>;

/** The state in `dir` (the programs folder); empty when there is none. Throws on a corrupt file. */
export function readProgramsState(dir: string): ProgramsState {
  let text: string;
  try {
    text = readRegular(join(dir, STATE_FILE), 1024 * 1024).text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, programs: {} };
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`${join(dir, STATE_FILE)} is not valid JSON (${(error as Error).message})`);
  }
  const parsed = stateSchema.safeParse(data);
  if (!parsed.success) throw new Error(`${join(dir, STATE_FILE)} is not a programs state file`);
  return parsed.data;
}

export async function writeProgramsState(dir: string, state: ProgramsState): Promise<void> {
  await writeFileAtomic(join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

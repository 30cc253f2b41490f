/**
 * Several processes opening one workspace's state at the same moment (two gateways started
 * together, `oxydra run` beside a running gateway): each claims the kernel database
 * (state-origin.ts) before opening it. None may set aside a file another has just made and
 * written to: its entries would go on into the set-aside copy, lost to everyone else. Real
 * processes, each going through a row of fresh folders in step with the others.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { scratchKernelDbs } from './kernel-db-scratch.js';

const scratch = scratchKernelDbs('oxydra-claim-race-');
const kernelDb = JSON.stringify(fileURLToPath(new URL('../dist/store/kernel-db.js', import.meta.url)));
const PROCESSES = 8;
const FOLDERS = 16;
/** Between two folders' start times: far longer than an open takes, so each folder's opens overlap. */
const STRIDE_MS = 150;

/**
 * Each process opens the kernel database of every folder in `folders`, all of them starting on
 * folder k at the same moment, and writes one row saying who it is.
 */
const CHILD = `
  const { openKernelDb } = await import(${kernelDb});
  const [me, startAt, ...folders] = process.argv.slice(1);
  for (const [k, folder] of folders.entries()) {
    const at = Number(startAt) + k * ${STRIDE_MS};
    while (Date.now() < at) {}
    const db = await openKernelDb(folder);
    db.exec('CREATE TABLE IF NOT EXISTS opened (who TEXT)');
    db.prepare('INSERT INTO opened (who) VALUES (?)').run(me);
    db.close();
  }
`;

async function openAtOnce(folders: string[]): Promise<void> {
  // Module loading first: the processes begin together.
  const startAt = String(Date.now() + 1500);
  const children = Array.from({ length: PROCESSES }, (_, index) => {
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', CHILD, String(index), startAt, ...folders],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    return new Promise<void>((resolve, reject) =>
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`child ${index}: ${err}`)))),
    );
  });
  await Promise.all(children);
}

/** Per folder: the rows in its kernel.db and what was set aside beside it. */
function outcome(folder: string): { rows: string[]; aside: string[] } {
  const state = join(folder, '.oxydra');
  const db = new Database(join(state, 'kernel.db'));
  try {
    const rows = (db.prepare('SELECT who FROM opened ORDER BY who').raw().all() as [string][]).map(
      ([who]) => who,
    );
    return { rows, aside: readdirSync(state).filter((name) => name.startsWith('kernel.db.untrusted-')) };
  } finally {
    db.close();
  }
}

const everyone = Array.from({ length: PROCESSES }, (_, index) => String(index)).sort();

describe('processes claiming one workspace state at once', () => {
  it('make one kernel database in a new folder, and none sets aside what another made', async () => {
    const folders = Array.from({ length: FOLDERS }, () => scratch.folder());
    await openAtOnce(folders);
    // Before: 1 folder in 3 had a process's fresh file set aside ("not the database your record
    // was made for"), the rows written to it missing here.
    expect(folders.map(outcome)).toEqual(folders.map(() => ({ rows: everyone, aside: [] })));
  }, 120_000);

  it('set a foreign kernel database aside once, and all use the one made in its place', async () => {
    const folders = Array.from({ length: FOLDERS }, () => {
      const folder = scratch.folder();
      mkdirSync(join(folder, '.oxydra'), { recursive: true });
      // A kernel.db that came with the folder (no record of this user's beside it).
      const planted = new Database(join(folder, '.oxydra', 'kernel.db'));
      planted.exec("CREATE TABLE planted (token TEXT); INSERT INTO planted VALUES ('attacker')");
      planted.close();
      return folder;
    });
    await openAtOnce(folders);
    const seen = folders.map(outcome);
    expect(seen.map(({ rows }) => rows)).toEqual(folders.map(() => everyone));
    expect(seen.map(({ aside }) => aside.length)).toEqual(folders.map(() => 1));
  }, 120_000);
});

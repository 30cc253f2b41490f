/**
 * The audit head file goes into the `.oxydra/` its chain lives in, or nowhere: after the folder
 * or kernel.db was removed or replaced, a head written by name would make the next chain there
 * read as cut short. Real files, a real kernel database.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { headFilePath, KernelAudit } from '../src/exports/audit.js';
import { openKernelDb, WorkspaceIdentity } from '../src/exports/workspace.js';
import type { KernelDb } from '../src/store/kernel-db.js';

const dirs: TempWorkspace[] = [];
const dbs: KernelDb[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) dir.cleanup();
});

async function opened(): Promise<{ dir: string; audit: KernelAudit }> {
  const workspace = tempWorkspace({ prefix: 'oxydra-identity-' });
  dirs.push(workspace);
  const dir = workspace.dir;
  const db = await openKernelDb(dir);
  dbs.push(db);
  const audit = await KernelAudit.open(dir, db, { maxEntries: 1000 });
  await audit.record('cli', 'test', { n: 1 });
  return { dir, audit };
}

describe('the audit head file and the workspace identity', () => {
  it('writes the head into .oxydra/ while it is the one opened', async () => {
    const { dir, audit } = await opened();
    await audit.anchor(undefined, undefined, { flush: true });
    expect(existsSync(headFilePath(dir))).toBe(true);
    expect(audit.identity.problem()).toBeUndefined();
    // No temporary file left behind.
    expect(readdirSync(join(dir, '.oxydra')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('writes nothing once kernel.db was removed (the folder itself unchanged)', async () => {
    const { dir, audit } = await opened();
    rmSync(join(dir, '.oxydra', 'kernel.db'));
    await audit.anchor(undefined, undefined, { flush: true });
    expect(existsSync(headFilePath(dir))).toBe(false);
    expect(audit.identity.problem()).toBe('.oxydra/kernel.db was removed');
  });

  it('writes nothing into a folder swapped in, even a symlink to one holding the same files', async () => {
    const { dir, audit } = await opened();
    const other = tempWorkspace({ prefix: 'oxydra-identity-other-' });
    dirs.push(other);
    const elsewhere = other.dir;
    (await openKernelDb(elsewhere)).close();
    renameSync(join(dir, '.oxydra'), join(dir, '.oxydra.old'));
    symlinkSync(join(elsewhere, '.oxydra'), join(dir, '.oxydra'));
    await audit.anchor(undefined, undefined, { flush: true });
    expect(existsSync(headFilePath(elsewhere))).toBe(false);
    expect(audit.identity.problem()).toMatch(/was replaced by another/);
  });

  it('stays broken after the folder is put back: the process must restart', async () => {
    const { dir } = await opened();
    const identity = WorkspaceIdentity.capture(dir);
    renameSync(join(dir, '.oxydra'), join(dir, '.oxydra.old'));
    mkdirSync(join(dir, '.oxydra'));
    expect(identity.problem()).toBe('.oxydra/ was replaced by another');
    rmSync(join(dir, '.oxydra'), { recursive: true });
    renameSync(join(dir, '.oxydra.old'), join(dir, '.oxydra'));
    expect(identity.problem()).toBe('.oxydra/ was replaced by another');
    expect(await identity.writeFile('x.json', '{}')).toBe(false);
    expect(existsSync(join(dir, '.oxydra', 'x.json'))).toBe(false);
  });
});

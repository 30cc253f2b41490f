import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_VAULT_COPY_BYTES, resolveVaultPath } from '../src/index.js';
import { readVaultFile, writeWorkspaceFile } from '../src/vault/steps.js';
import { callTool, coreRegistry, makeWorkspace, type Workspace } from './helpers.js';

const SECRET = 'top-secret-contract-text-7f3a';

describe('vault_copyto', () => {
  let ws: Workspace;
  let vault: string;
  beforeEach(() => {
    ws = makeWorkspace();
    vault = join(ws.base, 'vault');
    mkdirSync(join(vault, 'docs'), { recursive: true });
    writeFileSync(join(vault, 'docs', 'contract.txt'), SECRET);
  });
  afterEach(() => ws.cleanup());

  const copy = (args: Record<string, unknown>, maxBytes?: number) =>
    callTool(
      coreRegistry({ vault: maxBytes ? { path: vault, maxBytes } : { path: vault } }),
      ws.root,
      'vault_copyto',
      args,
    );

  it('is offered only when a vault is configured', () => {
    expect(
      coreRegistry()
        .specs()
        .some((spec) => spec.name === 'vault_copyto'),
    ).toBe(false);
    expect(
      coreRegistry({ vault: { path: vault } })
        .specs()
        .some((spec) => spec.name === 'vault_copyto'),
    ).toBe(true);
  });

  it('copies a file and reports it without its content', async () => {
    const outcome = await copy({
      source_path: '/vault/docs/contract.txt',
      destination_path: 'in/contract.txt',
    });
    expect(outcome.isError).toBe(false);
    expect(outcome.content).toBe(
      `Copied /vault/docs/contract.txt (${SECRET.length} bytes) to in/contract.txt`,
    );
    expect(outcome.content).not.toContain(SECRET);
    expect(JSON.stringify(outcome.data)).not.toContain(SECRET);
    expect(ws.read('in/contract.txt')).toBe(SECRET);
  });

  it('accepts a path relative to the vault', async () => {
    const outcome = await copy({ source_path: 'docs/contract.txt', destination_path: 'c.txt' });
    expect(outcome.isError).toBe(false);
    expect(ws.read('c.txt')).toBe(SECRET);
  });

  it('copies binary content byte for byte', async () => {
    const binary = Buffer.from([0, 255, 1, 128, 0, 0xc3, 0x28, 10, 13]);
    writeFileSync(join(vault, 'blob.bin'), binary);
    const outcome = await copy({ source_path: '/vault/blob.bin', destination_path: 'blob.bin' });
    expect(outcome.isError).toBe(false);
    expect(outcome.content).toBe(`Copied /vault/blob.bin (${binary.length} bytes) to blob.bin`);
    expect(readFileSync(join(ws.root, 'blob.bin')).equals(binary)).toBe(true);
  });

  it('refuses .. out of the vault', async () => {
    writeFileSync(join(ws.outside, 'other.txt'), 'not vault');
    for (const source of ['/vault/../outside/other.txt', '../outside/other.txt', '/etc/passwd']) {
      const outcome = await copy({ source_path: source, destination_path: 'x.txt' });
      expect(outcome.isError).toBe(true);
      expect(outcome.content).toMatch(/vault/);
    }
    expect(() => ws.read('x.txt')).toThrow();
  });

  it('refuses a symbolic link leading out of the vault', async () => {
    writeFileSync(join(ws.outside, 'host.txt'), 'host secret');
    symlinkSync(join(ws.outside, 'host.txt'), join(vault, 'link.txt'));
    symlinkSync(ws.outside, join(vault, 'dirlink'));
    for (const source of ['/vault/link.txt', '/vault/dirlink/host.txt']) {
      const outcome = await copy({ source_path: source, destination_path: 'x.txt' });
      expect(outcome.isError).toBe(true);
      expect(outcome.content).toContain('escapes the vault');
    }
    expect(() => ws.read('x.txt')).toThrow();
  });

  it('refuses a destination outside the workspace', async () => {
    for (const destination of ['../outside/c.txt', join(ws.outside, 'c.txt')]) {
      const outcome = await copy({ source_path: '/vault/docs/contract.txt', destination_path: destination });
      expect(outcome.isError).toBe(true);
      expect(outcome.content).toContain('escapes the workspace');
    }
    expect(() => readFileSync(join(ws.outside, 'c.txt'))).toThrow();
  });

  it('refuses a destination through a link leading out of the workspace', async () => {
    symlinkSync(ws.outside, join(ws.root, 'out'));
    const outcome = await copy({ source_path: '/vault/docs/contract.txt', destination_path: 'out/c.txt' });
    expect(outcome.isError).toBe(true);
    expect(() => readFileSync(join(ws.outside, 'c.txt'))).toThrow();
  });

  it('names a missing file plainly', async () => {
    const outcome = await copy({ source_path: '/vault/nope.txt', destination_path: 'x.txt' });
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toContain('/vault/nope.txt');
    expect(outcome.content).not.toContain(vault);
  });

  it('refuses a folder and the vault itself', async () => {
    expect((await copy({ source_path: '/vault/docs', destination_path: 'x' })).content).toContain(
      'is a folder',
    );
    expect((await copy({ source_path: '/vault/', destination_path: 'x' })).isError).toBe(true);
  });

  it('refuses a file over the size cap, without writing', async () => {
    writeFileSync(join(vault, 'big.bin'), Buffer.alloc(101, 7));
    const outcome = await copy({ source_path: '/vault/big.bin', destination_path: 'big.bin' }, 100);
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toContain('up to 100 bytes');
    expect(() => readFileSync(join(ws.root, 'big.bin'))).toThrow();
    const exact = await copy({ source_path: '/vault/big.bin', destination_path: 'big.bin' }, 101);
    expect(exact.isError).toBe(false);
    expect(MAX_VAULT_COPY_BYTES).toBe(10 * 1024 * 1024);
  });

  it('keeps the steps apart: the read step knows only the vault, the write step only the workspace', async () => {
    const file = await readVaultFile(vault, '/vault/docs/contract.txt');
    expect(file.shown).toBe('/vault/docs/contract.txt');
    await expect(readVaultFile(vault, join(ws.root, 'x'))).rejects.toThrow(/vault/);
    const copy = await writeWorkspaceFile(ws.root, 'w.txt', file.bytes);
    expect(copy).toMatchObject({ relative: 'w.txt', bytes: SECRET.length, created: true });
  });

  it('resolves vault_path relative to the workspace', () => {
    expect(resolveVaultPath('secrets', '/w/ws')).toBe('/w/ws/secrets');
    expect(resolveVaultPath('/abs/vault', '/w/ws')).toBe('/abs/vault');
  });
});

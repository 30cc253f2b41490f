/**
 * The taint screen's path globs (protected_paths, write_paths) are compiled at the first file
 * write it judges, not when the screen is made: every assembly of an agent makes one, the
 * gateway's at start, and most runs never write a file after reading untrusted content. Its own
 * file: picomatch is replaced by a counting wrapper of the real one for the whole module graph.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolContext } from '@oxydra/types';
import { describe, expect, it, vi } from 'vitest';

const compiled = vi.hoisted(() => ({ globs: [] as string[] }));
vi.mock('picomatch', async (importOriginal) => {
  const real = ((await importOriginal()) as { default: (glob: string, options?: object) => unknown }).default;
  return {
    default: (glob: string, options?: object) => {
      compiled.globs.push(glob);
      return real(glob, options);
    },
  };
});

const { taintScreen } = await import('../src/assemble/permissions.js');

const policy = {
  enabled: true,
  untrusted: new Set(['web'] as const),
  operators: [],
  rules: {
    shell: 'ask',
    shell_network: 'ask',
    file_write: 'ask',
    send: 'ask',
    schedule: 'ask',
    memory: 'ask',
  },
  writePaths: ['src/**'],
  protectedPaths: ['.oxydra/**'],
  instructionPaths: [],
  tools: {},
  shellNetworked: false,
  recall: 'taint',
} as const;
const tainted = { provenance: [{ kind: 'web', source: 'https://example.test/' }] } as unknown as ToolContext;
const write = (path: string) => ({ name: 'file_write', arguments: { path } });

describe('the taint screen', () => {
  it('compiles its globs at its first judged file write, once, and judges as before', () => {
    const workspace = mkdtempSync(join(tmpdir(), 'oxydra-taint-globs-'));
    const screen = taintScreen(policy, workspace, 'default')!;
    expect(compiled.globs).toEqual([]);
    // A clean context, or a call that is no file write, needs no glob.
    expect(screen(write('.oxydra/agent.toml'), {} as ToolContext)).toBeUndefined();
    expect(screen({ name: 'memory_save', arguments: {} }, tainted)?.action).toBe('ask');
    expect(compiled.globs).toEqual([]);

    expect(screen(write('.oxydra/agent.toml'), tainted)?.reason).toContain('a protected path');
    expect(compiled.globs.sort()).toEqual(['.oxydra/**', 'src/**']);
    expect(screen(write('docs/notes.md'), tainted)?.reason).toContain('outside the paths it may write');
    expect(screen(write('src/main.ts'), tainted)).toBeUndefined();
    expect(compiled.globs).toHaveLength(2);
  });
});

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ToolContext, ToolOutcome } from '@oxydra/types';
import { type CoreToolsOptions, createCoreTools, type ShellConfig, ToolRegistry } from '../src/index.js';

export interface Workspace {
  /** A temporary directory holding `root` (the workspace) and room beside it ("outside"). */
  base: string;
  root: string;
  outside: string;
  write(relative: string, content: string | Buffer): string;
  read(relative: string): string;
  cleanup(): void;
}

export function makeWorkspace(): Workspace {
  const base = mkdtempSync(join(tmpdir(), 'oxydra-tools-'));
  const root = join(base, 'ws');
  const outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  return {
    base,
    root,
    outside,
    write(relative, content) {
      const path = join(root, relative);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      return path;
    },
    read: (relative) => readFileSync(join(root, relative), 'utf8'),
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
}

export function context(workspace: string, extra: Partial<ToolContext> = {}): ToolContext {
  return { workspace, signal: new AbortController().signal, ...extra };
}

export function shellConfig(overrides: Partial<ShellConfig> = {}): ShellConfig {
  return {
    enabled: true,
    allow: ['*'],
    deny: [],
    allow_operators: true,
    env_keys: [],
    command_timeout_secs: 60,
    ...overrides,
  };
}

/** The core tools behind a registry with approval "auto": what the agent loop sees. */
export function coreRegistry(options: Partial<CoreToolsOptions> = {}): ToolRegistry {
  return new ToolRegistry(createCoreTools({ shell: shellConfig(), ...options }), { approval: 'auto' });
}

let nextId = 0;
export function callTool(
  registry: ToolRegistry,
  workspace: string,
  name: string,
  args: Record<string, unknown>,
  extra: Partial<ToolContext> = {},
): Promise<ToolOutcome> {
  nextId += 1;
  return registry.execute({ id: `call-${nextId}`, name, arguments: args }, context(workspace, extra));
}

/** Alive and not a zombie (an orphan whose parent has not reaped it yet is already dead). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

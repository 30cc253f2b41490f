import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempWorkspace } from '@oxydra/testkit/helpers';
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
  const base = tempWorkspace({ prefix: 'oxydra-tools-' });
  const root = base.path('ws');
  const outside = base.path('outside');
  mkdirSync(root);
  mkdirSync(outside);
  return {
    base: base.dir,
    root,
    outside,
    write: (relative, content) => base.write(join('ws', relative), content),
    read: (relative) => readFileSync(join(root, relative), 'utf8'),
    cleanup: base.cleanup,
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

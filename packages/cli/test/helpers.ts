import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const OXYDRA_BIN = fileURLToPath(new URL('../bin/oxydra.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A fresh machine for one test: its own HOME, system config dir and workspace (the cwd). */
export class CliSandbox {
  readonly root = mkdtempSync(join(tmpdir(), 'oxydra-cli-'));
  readonly home = join(this.root, 'home');
  readonly system = join(this.root, 'etc');
  readonly workspace = join(this.root, 'workspace');
  /** Only these variables reach the binary (plus PATH): nothing leaks from the developer's shell. */
  env: NodeJS.ProcessEnv;

  constructor(env: NodeJS.ProcessEnv = {}) {
    for (const dir of [this.home, this.system, this.workspace]) mkdirSync(dir, { recursive: true });
    this.env = { PATH: process.env.PATH, HOME: this.home, OXYDRA_SYSTEM_CONFIG_DIR: this.system, ...env };
  }

  write(relativePath: string, content: string): string {
    const path = join(this.workspace, relativePath);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return path;
  }

  run(...args: string[]): CliResult {
    const result = spawnSync(process.execPath, [OXYDRA_BIN, ...args], {
      cwd: this.workspace,
      env: this.env,
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function processesWith(marker: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(marker) && !line.includes('ps -eo'));
}

describe('runProcessGroup when its process exits', () => {
  it('kills commands still running, even ones that ignore SIGTERM', () => {
    // A fresh process starts a command that ignores SIGTERM, aborts it (SIGTERM now, SIGKILL
    // only after the grace period) and exits at once, as the CLI does after a cancelled run.
    const marker = `${3000 + Math.floor(Math.random() * 6000)}.${process.pid}`;
    const dist = new URL('../dist/index.js', import.meta.url).pathname;
    const script = `
      const { runProcessGroup } = await import(${JSON.stringify(dist)});
      const controller = new AbortController();
      void runProcessGroup(['/bin/sh', '-c', 'trap "" TERM; sleep ${marker} & sleep ${marker}; wait'], {
        cwd: '/', env: { PATH: process.env.PATH }, timeoutMs: 60000, signal: controller.signal, killGraceMs: 60000,
      });
      setTimeout(() => { controller.abort(); process.exit(0); }, 300);
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(0);
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
  });
});

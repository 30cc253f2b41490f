import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, fixture, HAS_BWRAP, policy, runIn } from './helpers.js';

// A memory hog in plain shell tools: `tail -n 1` of a stream with no newline keeps it all in memory.
const HOG = 'head -c 400000000 /dev/zero | tail -n 1 | wc -c; echo "status=$?"';
// A bounded fork loop, not a real bomb: 60 sleepers, far more than the limit of 16 below.
const FORKS =
  'n=0; for i in $(seq 60); do sleep 5 & n=$((n+1)); done 2>/dev/null; echo "started=$n"; kill $(jobs -p) 2>/dev/null; true';

describe.skipIf(!HAS_BWRAP)('resource limits', () => {
  let f: Fixture;
  beforeEach(() => {
    f = fixture();
  });
  afterEach(() => f.cleanup());

  it('the CPU limit kills a busy loop', async () => {
    const r = await runIn(f, policy({ limits: { cpuSeconds: 1 } }), 'while :; do :; done', 30_000);
    expect(r.timedOut).toBe(false); // ended by the limit, not by our timeout
    expect(r.exitCode === null || r.exitCode > 128).toBe(true);
  });

  it('the memory limit makes a memory hog fail, and the hog works without it', async () => {
    const limited = await runIn(f, policy({ limits: { memoryMiB: 64 } }), HOG);
    expect(limited.output).not.toContain('400000000');
    const free = await runIn(f, policy(), HOG);
    expect(free.output).toContain('400000000');
  });

  it('the process limit stops a fork loop, which runs freely without it', async () => {
    const limited = await runIn(f, policy({ limits: { processes: 16 } }), FORKS);
    const started = Number(/started=(\d+)/.exec(limited.output)?.[1] ?? '-1');
    // The loop either could not fork past the limit or the shell itself failed to fork.
    expect(started).not.toBe(60);
    const free = await runIn(f, policy(), FORKS);
    expect(free.output).toContain('started=60');
  });

  it('a real fork bomb is contained by the process limit and the pid namespace', async () => {
    const r = await runIn(
      f,
      policy({ limits: { processes: 32, cpuSeconds: 5 } }),
      ':(){ :|:& };:; sleep 1; echo survived',
      10_000,
    );
    // Whatever the bomb did, the call returns and the host can still fork.
    expect(r.pid).toBeDefined();
    const after = await runIn(f, policy(), 'echo host-ok');
    expect(after.output).toContain('host-ok');
  });

  // Each was a tmpfs of tmp_size_mib: 70% of it into /tmp, then as much again into /dev/shm,
  // both succeeded (1.4 times the budget in RAM).
  it('/tmp and /dev/shm share one budget of tmp_size_mib, and /dev/shm still works', async () => {
    const chunk = Math.floor(8 * 0.7 * 1024); // KiB: 70% of 8 MiB
    const r = await runIn(
      f,
      policy({ tmpSizeMiB: 8 }),
      [
        `dd if=/dev/zero of=/tmp/fill bs=1k count=${chunk} 2>&1 | grep -o 'No space left on device'; echo "tmp=$(wc -c < /tmp/fill)"`,
        `dd if=/dev/zero of=/dev/shm/fill bs=1k count=${chunk} 2>&1 | grep -o 'No space left on device'; echo "shm=$(wc -c < /dev/shm/fill)"`,
        'rm -f /dev/shm/fill /tmp/fill',
        // POSIX shared memory and semaphores (shm_open, sem_open) live in /dev/shm.
        `python3 -c "from multiprocessing import shared_memory, Lock; m = shared_memory.SharedMemory(create=True, size=65536); m.buf[0] = 7; Lock(); print('posix-shm', m.buf[0]); m.close(); m.unlink()"`,
      ].join('; '),
    );
    expect(r.output).toContain(`tmp=${chunk * 1024}`);
    expect(r.output).toMatch(/No space left on device\nshm=\d+/);
    const shm = Number(/shm=(\d+)/.exec(r.output)?.[1] ?? '-1');
    expect(shm).toBeLessThan(chunk * 1024);
    // Together they never pass the budget.
    expect(chunk * 1024 + shm).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(r.output).toContain('posix-shm 7');
  });

  // bwrap's own tmpfs mounts (/ and /dev) were writable and sized at half the host's RAM.
  it('the sandbox root and /dev are read-only, and /dev/shm stops within tmp_size_mib', async () => {
    const r = await runIn(
      f,
      policy({ tmpSizeMiB: 4 }),
      [
        'touch /planted && echo root-writable',
        'touch /dev/planted && echo dev-writable',
        'dd if=/dev/zero of=/dev/shm/fill bs=1M count=8 2>/dev/null; echo "shm=$(wc -c < /dev/shm/fill)"',
        'echo ok > /dev/null && echo devnull-ok',
        'touch in-workspace && echo ws-ok',
      ].join('; '),
    );
    expect(r.output).not.toContain('root-writable');
    expect(r.output).not.toContain('dev-writable');
    const shm = Number(/shm=(\d+)/.exec(r.output)?.[1] ?? '-1');
    expect(shm).toBeGreaterThanOrEqual(0);
    expect(shm).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(r.output).toContain('devnull-ok');
    expect(r.output).toContain('ws-ok');
  });
});

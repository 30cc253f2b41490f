/**
 * [tools.sandbox]: how shell_exec's commands are isolated (the OS sandbox, its network, its
 * limits, the uid they run as under root). Apart from the agent schema so each file keeps one job.
 */
import { z } from 'zod';
import { once } from '../once.js';

export const SANDBOX_MODES = ['auto', 'bubblewrap', 'sandbox_exec', 'none'] as const;

export const toolSandboxSchema = once(() =>
  z.strictObject({
    mode: z
      .enum(SANDBOX_MODES)
      .default('auto')
      .describe(
        'shell_exec isolation: auto (bubblewrap on Linux, sandbox-exec on macOS, when available), bubblewrap or sandbox_exec (required), none',
      ),
    network: z
      .enum(['off', 'allowlist', 'on'])
      .default('off')
      .describe(
        'network for sandboxed commands: off; allowlist (only allow_hosts, through an egress proxy); on (the host network, unfiltered)',
      ),
    allow_hosts: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'with network = "allowlist": hosts commands may reach, e.g. "registry.npmjs.org", "*.github.com", "host:8443"',
      ),
    seccomp: z
      .boolean()
      .default(true)
      .describe(
        'a seccomp filter refusing kernel interfaces commands never need (keyrings, bpf, io_uring, new namespaces, TIOCSTI)',
      ),
    max_processes: z
      .int()
      .positive()
      .default(1024)
      .describe('processes a command may run at once (stops fork bombs)'),
    max_memory_mib: z.int().positive().optional().describe('address-space limit per process, in MiB'),
    max_cpu_secs: z.int().positive().optional().describe('CPU time limit per process, in seconds'),
    max_file_size_mib: z
      .int()
      .positive()
      .default(1024)
      .describe('largest file a command may write (anywhere, the workspace included), in MiB'),
    tmp_size_mib: z
      .int()
      .positive()
      .default(512)
      .describe(
        "memory-backed files one command may hold, in MiB: its private /tmp (and HOME inside it) and /dev/shm together (a quarter, at most 64 MiB, is /dev/shm's)",
      ),
    max_concurrent_commands: z
      .int()
      .positive()
      .default(4)
      .describe(
        "one session's sandboxed commands running at once; more (a batch of shell_exec calls) wait their turn, without holding back other sessions' commands",
      ),
    run_as: z
      .string()
      .regex(/^(auto|root|\d+(:\d+)?)$/, 'use "auto", "root" or "UID[:GID]"')
      .refine((value) => !/^0(:|$)/.test(value), 'uid 0 is root: write "root" to mean it')
      .default('auto')
      .describe(
        'when Oxydra runs as root, the uid commands run as: auto (the workspace owner, or 65534 "nobody" for a root-owned workspace), "UID[:GID]", or "root" (host root inside the sandbox; not recommended)',
      ),
  }),
);

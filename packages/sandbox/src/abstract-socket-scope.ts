/**
 * Abstract Unix sockets (`@/tmp/.X11-unix/X0`, a D-Bus bus at `unix:abstract=…`) belong to the
 * network namespace, not the filesystem: a sandbox sharing the host's network (`network = "on"`)
 * could connect to them, and an X server or a session bus answering to the user's uid let it type
 * into the desktop or start programs outside the sandbox. Landlock's abstract-socket scope (ABI 6,
 * Linux 6.12) confines connections to sockets made inside the sandbox. Node cannot make the
 * calls, so perl does, just before the command (bubblewrap has already set no_new_privs, which
 * landlock_restrict_self needs). The numbers are the same on x86_64 and arm64.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PERL = '/usr/bin/perl';
const LANDLOCK_CREATE_RULESET = 444;
const LANDLOCK_RESTRICT_SELF = 446;
/** LANDLOCK_CREATE_RULESET_VERSION: asks the kernel's landlock ABI version. */
const VERSION_FLAG = 1;
/** The first ABI with LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET. */
const SCOPE_ABI = 6;
const SCOPE_ABSTRACT_UNIX_SOCKET = 1;

/** struct landlock_ruleset_attr {handled_access_fs, handled_access_net, scoped}: nothing but the scope. */
const SCRIPT = [
  `my $attr = pack("QQQ", 0, 0, ${SCOPE_ABSTRACT_UNIX_SOCKET});`,
  `my $fd = syscall(${LANDLOCK_CREATE_RULESET}, $attr, length($attr), 0);`,
  'die "oxydra sandbox: landlock ruleset: $!\\n" if $fd < 0;',
  `syscall(${LANDLOCK_RESTRICT_SELF}, $fd, 0) == 0 or die "oxydra sandbox: landlock: $!\\n";`,
  'exec { $ARGV[0] } @ARGV or die "oxydra sandbox: exec $ARGV[0]: $!\\n";',
].join(' ');

let supported: boolean | undefined;
let probing: Promise<boolean> | undefined;

const PROBE_ARGS = ['-e', `print syscall(${LANDLOCK_CREATE_RULESET}, 0, 0, ${VERSION_FLAG})`];
const PROBE_TIMEOUT_MS = 5000;

function probeAnswer(stdout: string | undefined): boolean {
  return Number.parseInt(stdout ?? '', 10) >= SCOPE_ABI;
}

/** False where the probe cannot run at all (no Linux, no perl): nothing to spawn. */
function probeImpossible(): boolean {
  return process.platform !== 'linux' || !existsSync(PERL);
}

/**
 * Whether this machine can scope abstract sockets: perl is there and the kernel's landlock is ABI
 * 6 or later. Spawns perl (synchronously) the first time in a process unless probeAbstractSocketScope
 * answered already: for `oxydra doctor` and tests; a runner asks the asynchronous way, at its
 * first command.
 */
export function abstractSocketScopeSupported(): boolean {
  if (supported === undefined) {
    supported = probeImpossible()
      ? false
      : probeAnswer(spawnSync(PERL, PROBE_ARGS, { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS }).stdout);
  }
  return supported;
}

/**
 * abstractSocketScopeSupported without blocking the event loop, one perl per process at most.
 * Called with the first command on the host's network, never while a kernel is assembled: a run
 * with network = "on" that runs no command spawns nothing.
 */
export function probeAbstractSocketScope(): Promise<boolean> {
  if (supported !== undefined) return Promise.resolve(supported);
  if (probeImpossible()) {
    supported = false;
    return Promise.resolve(false);
  }
  probing ??= new Promise<boolean>((resolve) => {
    execFile(PERL, PROBE_ARGS, { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS }, (_error, stdout) => {
      supported ??= probeAnswer(stdout);
      resolve(supported);
    });
  });
  return probing;
}

/**
 * The argv prefix that confines the command to its own abstract sockets, for a sandbox on the
 * host's network; [] where there is no host network to guard or the kernel cannot (said by
 * hostNetworkDegradation).
 */
export function abstractSocketScopePrefix(sharesHostNetwork: boolean): string[] {
  if (!sharesHostNetwork || !abstractSocketScopeSupported()) return [];
  return [PERL, '-e', SCRIPT, '--'];
}

/** What a sandbox on the host's network can still reach here, or undefined when nothing more. */
export function hostNetworkDegradation(sharesHostNetwork: boolean): string | undefined {
  if (!sharesHostNetwork || abstractSocketScopeSupported()) return undefined;
  return 'network = "on": commands can also reach the host\'s abstract Unix sockets (an X server, a D-Bus bus), which need Linux 6.12\'s landlock and /usr/bin/perl to close; use network = "allowlist"';
}

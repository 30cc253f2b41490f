/**
 * Descriptors this process inherited open without close-on-exec (from an IDE, a terminal
 * multiplexer, a wrapper's `9</home/me`) pass to every program it spawns, and bubblewrap
 * passes them on into the sandbox: there `/proc/self/fd/<n>` leads back out of it (a folder's
 * descriptor reads the host folder whole). So each spawn covers them in the child with
 * /dev/null: a descriptor given in spawn's `stdio` at a number is dup2'ed there before exec.
 * Every spawn that can reach a sandbox goes through here: process groups (shell commands,
 * the warm sandbox) and the MCP client's stdio transport (mcp/src/stdio-transport.ts).
 *
 * Found once, at the first spawn: Node, libuv and the native modules Oxydra loads open every
 * descriptor close-on-exec, so only those present at start-up can be inheritable, and reading
 * every descriptor's flags costs milliseconds in a process with hundreds of sockets. Linux
 * only (the flags are in /proc/self/fdinfo); elsewhere none are found.
 */
import { openSync, readdirSync, readFileSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;

let inheritable: number[] | undefined;
let devNull: number | undefined;

function findInheritable(): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const name of names) {
    const fd = Number(name);
    if (fd < 3) continue;
    let info: string;
    try {
      info = readFileSync(`/proc/self/fdinfo/${name}`, 'latin1');
    } catch {
      continue; // the listing's own descriptor, closed by now
    }
    const flags = /^flags:\s*([0-7]+)/m.exec(info)?.[1];
    if (flags !== undefined && (Number.parseInt(flags, 8) & O_CLOEXEC) === 0) found.push(fd);
  }
  return found;
}

/** `stdio` for spawn, with /dev/null over every inheritable descriptor it does not already give. */
export function withInheritedCovered<T>(
  stdio: readonly (T | number | 'ignore')[],
): (T | number | 'ignore')[] {
  inheritable ??= process.platform === 'linux' ? findInheritable() : [];
  const covered = [...stdio];
  for (const fd of inheritable) {
    if (fd < covered.length && covered[fd] !== 'ignore') continue; // replaced by what we hand over
    devNull ??= openSync('/dev/null', 'r+');
    while (covered.length < fd) covered.push('ignore');
    covered[fd] = devNull;
  }
  return covered;
}

/**
 * The architectures the seccomp filter has syscall tables for (seccomp.ts must have one for each):
 * apart from the tables, so a start-up summary can say whether commands get the filter without
 * loading them.
 */
const SECCOMP_ARCHES = ['x64', 'arm64'] as const;

export type SeccompArch = (typeof SECCOMP_ARCHES)[number];

export function seccompSupported(arch: NodeJS.Architecture = process.arch): arch is SeccompArch {
  return (SECCOMP_ARCHES as readonly string[]).includes(arch);
}

/** The flags that make `oxydra run` spec-first (commands/run-spec.ts), kept apart so a plain run loads none of it. */
export interface SpecFlags {
  spec?: boolean;
  criterion?: string[];
  constraint?: string[];
  /** Mark every criterion independent: its work may run in a sub-agent of its own. */
  split?: boolean;
  maxAttempts?: string;
  exitCode?: boolean;
}

export function isSpecRun(flags: SpecFlags): boolean {
  return (
    flags.spec === true ||
    flags.split === true ||
    (flags.criterion?.length ?? 0) > 0 ||
    (flags.constraint?.length ?? 0) > 0
  );
}

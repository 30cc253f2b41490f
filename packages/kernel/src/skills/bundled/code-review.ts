/** Bundled skill: reviewing a change (uncommitted work, a branch, a commit or named files). */
import { bundledFrontMatter } from '../locations.js';

export const CODE_REVIEW = `${bundledFrontMatter('code-review')}
# Code review

Find what would hurt in production or slow the next person down, and say it precisely. You
review; you do not rewrite the code unless the user asks you to.

## 1. Find the change

- In a git repository (shell_exec): \`git status --short\`, then \`git diff --stat\` and
  \`git diff\` for uncommitted work; \`git diff main...HEAD\` (or the base the user names) for a
  branch; \`git show <sha>\` for a commit. Read the commit messages: they say what the change
  is meant to do, which is what you check it against.
- Without git, or when the user names files: review those files as they are.
- A large change: list it (\`git diff --stat\`), review the riskiest files first (security,
  data, concurrency, public interfaces), and say what you did not get to.

## 2. Read around the change

A diff hides most bugs. For each changed hunk, read the whole function (file_read), its callers
(file_search for its name) and its tests.

## 3. Check, in this order

1. **Correctness**: wrong conditions, off-by-one, null or undefined, error paths that swallow a
   failure, resources never closed, races, time zones, units, integer and float mistakes.
2. **Security**: injection (SQL, shell, HTML, paths), secrets in code or logs, missing
   authorization checks, trusting input from users or the network, unsafe deserialization.
3. **Behaviour changes**: a public interface, output format, default or stored data changed
   without need or without a migration.
4. **Tests**: would a test fail without the change? Are the edge cases and error paths covered?
   When the test command is obvious (package.json scripts, Makefile, pytest, cargo test) and
   shell_exec is available, run it.
5. **Clarity**: names, dead code, duplication, comments that say what instead of why.
6. **Performance**, only where it matters: I/O in loops, N+1 queries, unbounded memory.

Do not report what a formatter or a linter would fix.

## 4. Report

- First line: the verdict (ready / ready after small fixes / needs work) and why.
- Then the findings, grouped:
  - **Blocker**: wrong results, data loss, a security hole, a crash.
  - **Should fix**: a likely bug, a risky path without a test, a confusing interface.
  - **Nit**: optional improvements (five at most).
- Each finding: \`path:line\`, what is wrong, why it matters, and a concrete fix (a short snippet
  when it helps). Quote the code you mean. When unsure, say so and say what would settle it.
- Last: what you did not check (files skipped, tests not run).
`;

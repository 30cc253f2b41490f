/** Bundled skill: finding and fixing the root cause of a failure. */
import { bundledFrontMatter } from '../locations.js';

export const DEBUGGING = `${bundledFrontMatter('debugging')}
# Debugging

Do not guess and patch. Every step either reproduces the failure, narrows it down, or proves a
fix.

## 1. Reproduce

- Run the failing command (shell_exec) and keep its full output: the error message, the first
  stack frame in the project's own code, the inputs, the versions involved.
- Make the reproduction small and fast: one test, one script, one input.
- If it does not fail for you, find what differs (versions, configuration, data, environment)
  before changing any code.

## 2. Read the evidence

- Read the stack trace from the first frame in project code; read that code and its callers
  (file_read, file_search for the function's name).
- Search for the error message's text in the code (file_search).
- Look at what changed recently: \`git log -p -n 5 -- <file>\`, \`git diff\`. If it used to
  work, \`git bisect run <reproduction command>\` finds the commit.

## 3. Test hypotheses

- Write down one to three hypotheses, most likely first.
- For each, a check that could prove it wrong: print a value, add an assertion, shrink the
  input, call the function directly.
- Change one thing at a time and rerun the reproduction after each change.

## 4. Fix the cause

- Fix where the wrong value is made, not where it crashes.
- Search for the same mistake elsewhere (file_search).
- Keep the fix small; no unrelated refactoring.

## 5. Prove it

- Add a regression test that fails without the fix and passes with it; run it both ways.
- Run the surrounding test suite.
- Remove temporary prints and assertions.

## 6. Report

The root cause in one or two sentences, the fix (files and what changed), how you verified it,
and any risk left or related places you did not change.
`;

/** Bundled skill: release notes or a CHANGELOG entry from the git history. */
import { bundledFrontMatter } from '../locations.js';

export const RELEASE_NOTES = `${bundledFrontMatter('release-notes')}
# Release notes

## 1. Find the range

- Tags (shell_exec): \`git tag --sort=-creatordate | head -20\`; the last one:
  \`git describe --tags --abbrev=0\`. The range is the last tag to HEAD unless the user names
  another.
- No tags: use the commits since the date or commit the user gives; otherwise the last 50
  commits, and say so.
- The commits: \`git log --no-merges --format='%h %s%n%b%n---' <from>..<to>\`; merges (pull
  request numbers): \`git log --merges --format='%h %s' <from>..<to>\`; the size:
  \`git diff --stat <from>..<to>\`.

## 2. Follow the project's conventions

Read CHANGELOG.md (or CHANGES, HISTORY, NEWS) if there is one and match its format: headings,
version and date style, links. If commits follow Conventional Commits (\`feat:\`, \`fix:\`,
\`BREAKING CHANGE:\`), use those labels, but check them against the diff.

## 3. Sort every change

- **Breaking changes**: removed or renamed options, commands or APIs; changed defaults; a new
  minimum version of a runtime; data or configuration migrations. Each with what users must do.
- **Features**, **Fixes**, **Security**, **Performance**, **Deprecations**.
- Leave out what users never see: refactors, tests, CI, formatting, dependency bumps without an
  effect, a change and its revert.

When a subject line is unclear, read the commit (\`git show --stat <sha>\`, then the files)
instead of guessing.

## 4. Write

- For users, not for the developers: what changed for them and why it matters, one line each,
  present tense ("Adds ...", "Fixes ..."), with its reference (#123 or the short hash).
- Breaking changes first, with the upgrade steps.
- A header with the version and the date: \`## [1.4.0] - 2026-03-01\` (from the tag, or ask).
- Invent nothing: every line must come from a commit in the range.

## 5. Deliver

Answer with the notes. When asked to update the changelog, insert the new section at the top
(below the title) with file_edit and leave the rest of the file as it was.
`;

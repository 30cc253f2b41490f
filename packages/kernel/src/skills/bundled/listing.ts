/**
 * The bundled skills' front matter, apart from their bodies: what the system prompt names before
 * any skill is read. A kernel with no skill folder offers the bundled skills from this list alone
 * (held-skills.ts) and loads the bodies and the SKILL.md parser at the first skill_load. Each
 * body module begins its SKILL.md with `bundledFrontMatter(name)`, so a name or description lives
 * here only. Sorted by name, as the catalog lists skills.
 */
export interface BundledListing {
  name: string;
  /** One line of plain text (read without the YAML parser), at most 1024 characters. */
  description: string;
}

export const BUNDLED_LISTING: readonly BundledListing[] = [
  {
    name: 'code-review',
    description:
      'Review a change (uncommitted work, a branch, a commit, files) for bugs, security and missing tests; findings by severity.',
  },
  {
    name: 'debugging',
    description:
      'Find and fix the root cause of a bug, failing test or crash, and prove the fix with a test.',
  },
  {
    name: 'release-notes',
    description: 'Write release notes or a CHANGELOG entry from the git history between two versions.',
  },
];

/** The front matter block a bundled SKILL.md starts with. */
export function bundledFrontMatter(name: string): string {
  const listed = BUNDLED_LISTING.find((skill) => skill.name === name);
  if (!listed) throw new Error(`no bundled skill "${name}" in bundled/listing.ts`);
  return `---\nname: ${listed.name}\ndescription: ${listed.description}\nlicense: Apache-2.0\n---\n`;
}

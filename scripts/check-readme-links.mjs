#!/usr/bin/env node
// Checks the links the docs site build cannot: every relative link in README.md, CONTRIBUTING.md
// and the docs/ pages must name a file that exists and, when it has a #fragment, a heading of that page
// (GitHub's anchors, which the site uses too); every `@include` comment of a page must name a
// file and a region in it, and the included text must hold no relative link (it would resolve
// against the including page); every page must be linked from the README. VitePress fails
// `npm run docs:build` on a link to a missing page, but not on a missing anchor.
// Run: node scripts/check-readme-links.mjs [--root DIR]   (npm run docs:links; part of docs:build)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import GithubSlugger from 'github-slugger';
import MarkdownIt from 'markdown-it';

// Pages of the site only: the home page, and the page showing the README's own install steps.
const NOT_IN_README = new Set(['index.md', 'getting-started.md']);
// VitePress's include syntax (it expands these anywhere in a page, code spans included).
const INCLUDE = /<!--\s*@include:\s*([^#\s]+?)(?:#([\w-]+))?\s*-->/g;

const md = new MarkdownIt({ html: true });
const external = (href) => /^[a-z][a-z0-9+.-]*:/i.test(href);

/** Each link of some Markdown text: its href and the line it is on. */
function links(text) {
  const out = [];
  let line = 1;
  for (const token of md.parse(text, {})) {
    if (token.map) line = token.map[0] + 1;
    for (const child of token.children ?? []) {
      if (child.type === 'link_open') out.push({ href: child.attrGet('href') ?? '', line });
    }
  }
  return out;
}

export function checkDocsLinks(root) {
  const problems = [];
  const rel = (file) => relative(root, file);

  /** The text a page renders: its includes expanded as VitePress expands them, and checked. */
  function rendered(file, report) {
    const text = readFileSync(file, 'utf8');
    return text.replace(INCLUDE, (_whole, path, region, offset) => {
      const where = `${rel(file)}:${text.slice(0, offset).split('\n').length}: includes ${path}${region ? `#${region}` : ''}`;
      const target = resolve(dirname(file), path);
      if (!existsSync(target)) {
        report(`${where}, which does not exist`);
        return '';
      }
      let included = readFileSync(target, 'utf8');
      if (region !== undefined) {
        const start = included.indexOf(`<!-- #region ${region} -->\n`);
        const end = included.indexOf(`<!-- #endregion ${region} -->`);
        if (start < 0 || end < start) {
          report(`${where}, which has no such region`);
          return '';
        }
        included = included.slice(start, end);
      }
      for (const { href } of links(included).filter(({ href }) => !external(href))) {
        report(`${where}, whose link ${href} would resolve against this page instead`);
      }
      return included;
    });
  }

  /** The anchors of a page's headings, as GitHub (and the site's config) make them. */
  const anchorCache = new Map();
  function anchors(file) {
    if (!anchorCache.has(file)) {
      const slugger = new GithubSlugger();
      const tokens = md.parse(
        rendered(file, () => {}),
        {},
      );
      const found = new Set();
      tokens.forEach((token, i) => {
        if (token.type !== 'heading_open') return;
        const text = (tokens[i + 1]?.children ?? [])
          .filter((child) => child.type === 'text' || child.type === 'code_inline')
          .map((child) => child.content)
          .join('');
        found.add(slugger.slug(text));
      });
      anchorCache.set(file, found);
    }
    return anchorCache.get(file);
  }

  /** Checks one file's links; returns the files they lead to. */
  function check(file) {
    rendered(file, (problem) => problems.push(problem));
    const reached = [];
    for (const { href, line } of links(readFileSync(file, 'utf8'))) {
      if (external(href)) continue; // https:, mailto: — not ours to check
      const [path, fragment] = href.split('#', 2);
      const target = path === '' ? file : resolve(dirname(file), decodeURI(path));
      const where = `${rel(file)}:${line}: ${href}`;
      if (!existsSync(target)) {
        problems.push(`${where}: ${rel(target)} does not exist`);
        continue;
      }
      reached.push(target);
      if (fragment === undefined || fragment === '') continue;
      if (!target.endsWith('.md') || statSync(target).isDirectory()) {
        problems.push(`${where}: a #fragment on a file that is not a Markdown page`);
      } else if (!anchors(target).has(decodeURIComponent(fragment))) {
        problems.push(`${where}: ${rel(target)} has no heading with the anchor #${fragment}`);
      }
    }
    return reached;
  }

  const docs = join(root, 'docs');
  const pages = existsSync(docs)
    ? readdirSync(docs)
        .filter((name) => name.endsWith('.md'))
        .sort()
    : [];
  const fromReadme = new Set(check(join(root, 'README.md')));
  for (const page of pages) check(join(docs, page));
  // CONTRIBUTING.md sends contributors to the pages too.
  if (existsSync(join(root, 'CONTRIBUTING.md'))) check(join(root, 'CONTRIBUTING.md'));
  for (const page of pages) {
    if (!NOT_IN_README.has(page) && !fromReadme.has(join(docs, page))) {
      problems.push(`README.md: docs/${page} is not in the README's list of pages: link it there`);
    }
  }
  return { problems, pages: pages.length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let root;
  try {
    const repo = dirname(dirname(fileURLToPath(import.meta.url)));
    root = parseArgs({ options: { root: { type: 'string', default: repo } } }).values.root;
  } catch (error) {
    process.stderr.write(
      `error: ${error.message}; usage: node scripts/check-readme-links.mjs [--root DIR]\n`,
    );
    process.exit(2);
  }
  if (!existsSync(join(root, 'README.md'))) {
    process.stderr.write(`error: ${root} has no README.md: pass the repository with --root DIR\n`);
    process.exit(2);
  }
  const { problems, pages } = checkDocsLinks(root);
  if (problems.length > 0) {
    process.stderr.write(`docs link check failed:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write(`docs link check passed: README.md, CONTRIBUTING.md and ${pages} docs pages\n`);
}

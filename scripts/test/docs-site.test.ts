/**
 * The documentation site's Markdown, rendered by VitePress's own renderer with the site's
 * configuration (docs/.vitepress/config.mts): GitHub's anchors, links out of docs/, literal
 * braces. Building the whole site is CI's "docs" step (npm run docs:build).
 */
import { fileURLToPath } from 'node:url';
import { createMarkdownRenderer, disposeMdItInstance } from 'vitepress';
import { afterEach, describe, expect, it } from 'vitest';
import site from '../../docs/.vitepress/config.mjs';
import { siteBase, sourceUrl } from '../../docs/.vitepress/site-env.mjs';
import { outsideDocs } from '../../docs/.vitepress/source-links.mjs';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));
const SOURCE_ENV = ['DOCS_SOURCE_URL', 'GITHUB_SERVER_URL', 'GITHUB_REPOSITORY', 'GITHUB_SHA'];
const saved = Object.fromEntries(SOURCE_ENV.map((name) => [name, process.env[name]]));
afterEach(() => {
  for (const name of SOURCE_ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

/** A page's HTML as the site renders it, with the source URL the environment gives. */
async function render(text: string, sourceUrlEnv?: string): Promise<string> {
  for (const name of SOURCE_ENV) delete process.env[name];
  if (sourceUrlEnv !== undefined) process.env.DOCS_SOURCE_URL = sourceUrlEnv;
  disposeMdItInstance(); // VitePress keeps one renderer per process; this one must see the environment above
  const md = await createMarkdownRenderer(DOCS, site.markdown, '/');
  return md.render(text, { relativePath: 'extending.md', path: `${DOCS}extending.md`, cleanUrls: false });
}

describe('the docs site', () => {
  it("gives headings GitHub's anchors, so links work on GitHub and the site alike", async () => {
    const html = await render(
      '## The HTTP API (`/api/v1`)\n\n## `agent.toml` and `providers.toml`\n\n## Security\n\n## Security\n',
    );
    expect([...html.matchAll(/<h2 id="([^"]+)"/g)].map((m) => m[1])).toEqual([
      'the-http-api-apiv1',
      'agenttoml-and-providerstoml',
      'security',
      'security-1',
    ]);
  });

  it('points links out of docs/ at the source when its URL is known', async () => {
    const html = await render(
      'See [the example](../examples/a/index.js) and [memory](./memory.md#x).',
      'https://git.example/o/r/blob/main/',
    );
    expect(html).toContain('<a href="https://git.example/o/r/blob/main/examples/a/index.js"');
    expect(html).toContain('<a href="./memory.html#x">memory</a>');
  });

  it('keeps their text without a link when it is not', async () => {
    const html = await render('See [the example](../examples/a/index.js) and [memory](./memory.md#x).');
    expect(html).toContain('<p>See the example and <a href="./memory.html#x">memory</a>.</p>');
  });

  it('shows braces as written instead of letting Vue evaluate them', async () => {
    const html = await render('`{{agentName}}` is {{name}}');
    expect(html).toContain('<code v-pre="">{{agentName}}</code> is &#123;&#123;name}}');
  });
});

describe('the environment of a build', () => {
  it('tells links out of docs/ from links that stay in it', () => {
    expect(outsideDocs('extending.md', '../README.md#install')).toBe('README.md#install');
    expect(outsideDocs('guide/a.md', '../memory.md')).toBeUndefined();
    expect(outsideDocs('guide/a.md', '../../scripts/x.mjs')).toBe('scripts/x.mjs');
    expect(outsideDocs('a.md', '/memory')).toBeUndefined();
    expect(outsideDocs('a.md', 'mailto:x@example.com')).toBeUndefined();
  });

  it('takes the source URL from DOCS_SOURCE_URL, else from GitHub Actions, else none', () => {
    expect(sourceUrl({ DOCS_SOURCE_URL: 'https://git.example/o/r/blob/main/' })).toBe(
      'https://git.example/o/r/blob/main',
    );
    const actions = {
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_SHA: 'abc123',
    };
    expect(sourceUrl(actions)).toBe('https://github.com/o/r/blob/abc123');
    expect(sourceUrl({ ...actions, DOCS_SOURCE_URL: 'https://x.example' })).toBe('https://x.example');
    expect(sourceUrl({ GITHUB_REPOSITORY: 'o/r' })).toBeUndefined();
  });

  it('serves under DOCS_BASE, which must start and end with a slash', () => {
    expect(siteBase(undefined)).toBe('/');
    expect(siteBase('')).toBe('/');
    expect(siteBase('/oxydra/')).toBe('/oxydra/');
    expect(() => siteBase('oxydra')).toThrow(
      'DOCS_BASE="oxydra" must start and end with "/", e.g. DOCS_BASE=/oxydra/',
    );
    expect(() => siteBase('/oxydra')).toThrow('must start and end with "/"');
  });
});

/**
 * The documentation site: the pages in docs/, built by VitePress (`npm run docs:build`, into
 * docs/.vitepress/dist) or served while editing (`npm run docs:dev`). The build fails on a link
 * to a page that does not exist; scripts/check-readme-links.mjs checks the anchors and the
 * README's links. Headings get GitHub's anchors, so a link is the same on GitHub and the site.
 */
import { slug } from 'github-slugger';
import { defineConfig } from 'vitepress';
import { literalBraces } from './literal-braces.mjs';
import { siteBase, sourceUrl } from './site-env.mjs';
import { sourceLinks } from './source-links.mjs';

/**
 * DOCS_BASE checked. A wrong one fails the build with its one-line message: the stack is
 * dropped because VitePress prints it, and exiting here instead would leave Vite's temporary
 * copy of this file behind.
 */
function base(): string {
  try {
    return siteBase(process.env.DOCS_BASE);
  } catch (error) {
    (error as Error).stack = (error as Error).message;
    throw error;
  }
}

export default defineConfig({
  title: 'Oxydra',
  description: 'A local-first, secure-by-default AI agent orchestrator for Node.js',
  base: base(),
  cleanUrls: false,
  // Example addresses such as http://localhost:11434/v1 are autolinked; every other dead link fails the build.
  ignoreDeadLinks: 'localhostLinks',
  lastUpdated: false,
  markdown: {
    anchor: { slugify: slug },
    headers: { slugify: slug },
    config: (md) => {
      sourceLinks(md, sourceUrl(process.env));
      literalBraces(md);
    },
  },
  themeConfig: {
    search: { provider: 'local' },
    outline: { level: [2, 3] },
    nav: [
      { text: 'Getting started', link: '/getting-started' },
      { text: 'Commands', link: '/commands' },
      { text: 'Configuration', link: '/configuration' },
    ],
    sidebar: [
      {
        text: 'Using Oxydra',
        items: [
          { text: 'Getting started', link: '/getting-started' },
          { text: 'The oxydra command', link: '/commands' },
          { text: 'Configuration', link: '/configuration' },
          { text: 'Running agents', link: '/running-agents' },
          { text: 'Spec runs', link: '/spec-runs' },
          { text: 'Memory', link: '/memory' },
          { text: 'Providers', link: '/providers' },
        ],
      },
      {
        text: 'Serving agents',
        items: [
          { text: 'The gateway', link: '/gateway' },
          { text: 'The web dashboard', link: '/dashboard' },
          { text: 'Terminal UI', link: '/tui' },
          { text: 'The runner', link: '/runner' },
          { text: 'The scheduler', link: '/scheduler' },
          { text: 'Chat channels', link: '/channels' },
        ],
      },
      {
        text: 'Shaping and extending agents',
        items: [
          { text: 'Plugins, MCP and A2A', link: '/extending' },
          { text: 'Skills', link: '/skills' },
          { text: 'Programs', link: '/programs' },
          { text: 'Personas', link: '/personas' },
        ],
      },
      {
        text: 'Operating it safely',
        items: [
          { text: 'Security', link: '/security' },
          { text: 'Kernel services', link: '/kernel-services' },
          { text: 'Observability', link: '/observability' },
        ],
      },
      {
        text: 'Building on Oxydra',
        items: [
          { text: 'The kernel', link: '/kernel' },
          { text: 'PostgreSQL stores', link: '/postgres' },
          { text: 'Testing offline', link: '/testing' },
          { text: 'The package', link: '/package' },
          { text: 'Development', link: '/development' },
        ],
      },
    ],
  },
});

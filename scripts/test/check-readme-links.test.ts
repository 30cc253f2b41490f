import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../check-readme-links.mjs', import.meta.url));
const repoRoot = dirname(dirname(script));
let scratch: TempWorkspace;
let root: string;
afterEach(() => scratch.cleanup());

/** A repository of its own: README.md and docs pages with the given texts. */
function tree(files: Record<string, string>): void {
  scratch = tempWorkspace({ prefix: 'docs-links-' });
  root = scratch.dir;
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

function run() {
  return spawnSync(process.execPath, [script, '--root', root], { encoding: 'utf8' });
}

const GOOD = {
  'README.md':
    '# Project\n\n<!-- #region start -->\n## Install\n\nnpm ci\n<!-- #endregion start -->\n\n- [Memory](docs/memory.md#retrieval-and-embedders)\n- [Gateway](docs/gateway.md#the-http-api-apiv1)\n',
  'docs/memory.md':
    '# Memory\n\n## Retrieval and embedders\n\nSee [the API](./gateway.md#security-1) and [above](#memory).\n',
  'docs/gateway.md': '# The gateway\n\n## Security\n\n## The HTTP API (`/api/v1`)\n\n## Security\n',
  'docs/getting-started.md': '# Start\n\n<!--@include: ../README.md#start-->\n\nSee [Memory](./memory.md).\n',
  'docs/index.md': '# Home\n\n[Install](./getting-started.md#install)\n',
};

describe('docs link check', () => {
  it('passes on this repository', () => {
    scratch = tempWorkspace({ prefix: 'docs-links-' });
    root = scratch.dir;
    expect(execFileSync(process.execPath, [script, '--root', repoRoot], { encoding: 'utf8' })).toContain(
      'passed',
    );
  });

  it("passes on GitHub's anchors: code spans, punctuation, repeated headings, included headings", () => {
    tree(GOOD);
    const result = run();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('fails on a missing page, a missing anchor, and a fragment on a file that is not a page', () => {
    tree({
      ...GOOD,
      'docs/memory.md': '# Memory\n\n[x](./nowhere.md) [y](./gateway.md#performance) [z](../LICENSE#top)\n',
      LICENSE: 'text\n',
    });
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('docs/memory.md:3: ./nowhere.md: docs/nowhere.md does not exist');
    expect(result.stderr).toContain(
      'docs/memory.md:3: ./gateway.md#performance: docs/gateway.md has no heading with the anchor #performance',
    );
    expect(result.stderr).toContain('../LICENSE#top: a #fragment on a file that is not a Markdown page');
  });

  it('fails on a README link to an anchor the page does not have', () => {
    tree({ ...GOOD, 'README.md': GOOD['README.md'].replace('#retrieval-and-embedders', '#retrieval') });
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('README.md:9: docs/memory.md#retrieval: docs/memory.md has no heading');
  });

  it('fails on a page the README does not list', () => {
    tree({ ...GOOD, 'docs/tui.md': '# TUI\n' });
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("docs/tui.md is not in the README's list of pages");
  });

  it('fails on an include of a missing region, and on an included relative link', () => {
    tree({
      ...GOOD,
      'README.md': GOOD['README.md'].replace('npm ci\n', 'npm ci, then [the runner](docs/memory.md)\n'),
      'docs/index.md': '# Home\n\n<!--@include: ../README.md#nothing-->\n',
    });
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'docs/index.md:3: includes ../README.md#nothing, which has no such region',
    );
    expect(result.stderr).toContain(
      'docs/getting-started.md:3: includes ../README.md#start, whose link docs/memory.md would resolve against this page instead',
    );
  });

  it('is a usage error (exit 2) on a folder without a README', () => {
    tree({ 'docs/a.md': '# A\n' });
    const result = run();
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`error: ${root} has no README.md: pass the repository with --root DIR\n`);
  });
});

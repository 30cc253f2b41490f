// The docs corpus (`--corpus docs`): real English technical prose, reproducible offline once
// fetched. The text is Debian 12's own documentation packages: the Linux kernel's Documentation/
// (reStructuredText and plain text, linux-doc-6.1), Python 3.11's manual (its reST sources,
// python3.11-doc), Perl's manual pages (POD, perl-doc) and Git's (AsciiDoc, git-doc), fetched with
// `apt-get download` into the bench cache and unpacked there with `dpkg-deb -x` (nothing is
// installed). About 52 MB of text.
//
// A note is a stretch of one document: its paragraphs in order, cut at each section heading or
// when the note reaches a length drawn between 300 and 3,000 characters (the synthetic corpus's
// notes are 300 to 1,500; documentation sections run longer), so notes are about one thing as
// real notes are. Some reST markup is dropped (heading underlines, directive and comment lines,
// table borders, roles' and literals' quoting); code samples stay, as they would in a note. The
// notes are then shuffled with the seed, so every prefix (each --sizes step) mixes all documents.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { seededRandom } from '@oxydra/testkit';
import { benchCacheDir, run } from './bench-cache.mjs';

/** Debian 12 (bookworm) package names; another release names the kernel's docs after its version. */
export const DOC_PACKAGES = ['linux-doc-6.1', 'python3.11-doc', 'perl-doc', 'git-doc'];

/** The unpacked folder of each package, fetched on first use; returns { name, version, dir }. */
function fetchPackages() {
  const cache = benchCacheDir('debian-docs');
  return DOC_PACKAGES.map((name) => {
    const debs = () => readdirSync(cache).filter((f) => f.startsWith(`${name}_`) && f.endsWith('.deb'));
    if (debs().length === 0) {
      process.stderr.write(`docs corpus: fetching ${name} with apt-get download into ${cache}\n`);
      run('apt-get', ['download', name], { cwd: cache });
    }
    const deb = debs().sort().at(-1);
    const version = deb.split('_')[1];
    const dir = join(cache, `${name}_${version}`);
    if (!existsSync(join(dir, 'usr'))) run('dpkg-deb', ['-x', join(cache, deb), dir]);
    return { name, version: decodeURIComponent(version), dir };
  });
}

/** The documents' text, in a fixed order: [path, text]. */
function documents(packages) {
  const out = [];
  for (const { name, dir } of packages) {
    const files = walk(dir).sort();
    for (const file of files) {
      const path = relative(dir, file);
      if (name.startsWith('linux-doc') && /\/Documentation\/.*\.(rst|txt)\.gz$/.test(path))
        out.push([path, gunzipSync(readFileSync(file)).toString('utf8')]);
      else if (name.startsWith('python') && /\/_sources\/.*\.rst\.txt$/.test(path))
        out.push([path, readFileSync(file, 'utf8')]);
      else if (name === 'perl-doc' && /\/pod\/.*\.pod$/.test(path))
        out.push([path, podToText(readFileSync(file, 'utf8'))]);
      else if (name === 'git-doc' && /^usr\/share\/doc\/git-doc\/[^/]*\.txt$/.test(path))
        out.push([path, readFileSync(file, 'utf8').replace(/linkgit:([\w-]+)\[\d\]/g, '$1')]);
    }
  }
  return out;
}

/**
 * POD as the reST-like text paragraphs() reads: a =head line becomes an underlined heading, the
 * other commands go (an =item keeps its text), and formatting codes (C<...>, L<...|...>) keep
 * their text.
 */
function podToText(pod) {
  let text = pod
    .replace(/^=head\d\s+(.*)$/gm, (_, title) => `\n${title}\n${'='.repeat(Math.max(3, title.length))}\n`)
    .replace(/^=item\s+(.*)$/gm, '$1')
    .replace(/^=\w+.*$/gm, '');
  for (let i = 0; i < 3; i++)
    text = text.replace(/[A-Z]<<+\s+(.*?)\s+>>+/g, '$1').replace(/[A-Z]<(?:[^<>|]*\|)?([^<>]*)>/g, '$1');
  return text;
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : entry.isFile() ? [path] : [];
  });
}

const ADORNMENT = /^\s*([=\-~^"'`#*+_:.<>])\1{2,}\s*$/;
const TABLE_BORDER = /^\s*[+|][-=+|: ]*[+|]\s*$/;
const DIRECTIVE = /^\s*\.\.(\s|$)/;

/** A document's paragraphs, with a heading marked, and markup that no note would hold dropped. */
function paragraphs(text) {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const out = [];
  let current = [];
  const flush = (heading = false) => {
    const paragraph = current.join(' ').replace(/\s+/g, ' ').trim();
    if (paragraph) out.push({ text: paragraph, heading });
    current = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (ADORNMENT.test(line)) {
      // An underline (or overline) makes the line above it a heading: a note ends there.
      if (current.length > 0) {
        const title = current.pop();
        flush();
        current = [title];
        flush(true);
      }
      continue;
    }
    if (TABLE_BORDER.test(line) || DIRECTIVE.test(line) || /SPDX-License-Identifier/.test(line)) continue;
    if (line.trim() === '') {
      flush();
      continue;
    }
    current.push(
      line
        .replace(/:[\w:+-]+:`([^`<]*?)(?:\s*<[^>]*>)?`/g, '$1') // :role:`text <target>` → text
        .replace(/`+([^`]+?)`+_{0,2}/g, '$1') // ``literal``, `link`_ → literal, link
        .replace(/\*\*([^*]+)\*\*/g, '$1'),
    );
  }
  flush();
  return out;
}

/** The corpus's notes in document order: cut at headings or at a drawn length. */
function notesOf(docs, random) {
  const notes = [];
  for (const [path, text] of docs) {
    let note = '';
    let target = 300 + Math.floor(random() * 2700);
    const close = () => {
      if (note.length >= 100) notes.push({ source: path, content: note });
      note = '';
      target = 300 + Math.floor(random() * 2700);
    };
    for (const paragraph of paragraphs(text)) {
      if (paragraph.heading) close();
      note += (note ? '\n\n' : '') + paragraph.text;
      if (note.length >= target) close();
    }
    close();
  }
  return notes;
}

/**
 * The docs corpus, seeded, with makeCorpus's shape ({ random, note() }) plus `source` (the
 * packages and versions). note() throws when the text runs out, saying how far it reached.
 */
export function makeDocsCorpus(seed) {
  const packages = fetchPackages();
  const random = seededRandom(seed);
  const all = notesOf(documents(packages), random);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  let serial = 0;
  return {
    random,
    source: packages.map(({ name, version }) => `${name} ${version}`).join(', '),
    note() {
      if (serial === all.length)
        throw new Error(`docs corpus: all ${all.length} notes used; ask for fewer chunks`);
      const { content } = all[serial++];
      return { id: `note-${serial}`, content };
    },
  };
}

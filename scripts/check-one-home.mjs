#!/usr/bin/env node
// Fails when a fact that has one home is written out again elsewhere in the sources
// (packages/*/src, packages/cli/bin, scripts):
//   - wire facts (ISSUE 32 item 5): a provider's key variable or hosted base URL as a string, or
//     a list of provider-type strings, outside @oxydra/types' wire-facts.ts (WIRE_FACTS) — read
//     WIRE_FACTS / WIRE_APIS / PROVIDER_TYPES instead; a model listing's key header or fixed
//     header (listModels: x-api-key, anthropic-version and its value...) outside the adapters and
//     the testkit's mock servers, which speak the wires; and a branch on a provider_type literal
//     (`provider_type === 'gemini'`, `switch (entry.provider_type)`): a per-wire fact belongs in
//     the type's WIRE_FACTS row, so a new wire cannot silently take another's (doctor's probe
//     once sent every unlisted type Bearer /models);
//   - launcher facts: a V8 heap/GC/wasm flag or a glibc MALLOC_ variable as a string outside the
//     launcher table (packages/cli/bin/launch-table.cjs) and the sh line generated from it;
//   - secret folders: '.ssh', '.aws', '.gnupg' or ('.config' | '.cache', 'oxydra') outside
//     @oxydra/types' secret-folders.ts — read HOME_SECRET_FOLDERS / OXYDRA_HOME_FOLDERS instead;
//   - money (ISSUE 32 item 5): arithmetic or a comparison on a dollar amount or a price (a name
//     with cost, usd or price in it, on either side of + - * / < <= > >=), or a price table (a
//     variable named for prices holding a table), outside MONEY_HOMES: prices and the arithmetic
//     of costs in the provider's catalog/cost.ts, the rule of a dollar limit in the runtime's
//     budgets.ts, and budget decisions in the kernel's services/budgets/.
// Only code is read: comments are dropped, and tests and benches may name the values they check.
// Run: node scripts/check-one-home.mjs [--root DIR]   (exit 1 with one line per finding)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { launcherShLine } from './launcher-sh.mjs';

const WIRE_HOME = 'packages/types/src/wire-facts.ts';
const LAUNCH_HOME = 'packages/cli/bin/launch-table.cjs';
const SECRET_HOME = 'packages/types/src/secret-folders.ts';

/** Where money is priced (the catalog's cost module) and decided (a limit's rule, the kernel's budgets). */
const MONEY_HOMES = [
  'packages/provider/src/catalog/cost.ts',
  'packages/runtime/src/budgets.ts',
  'packages/kernel/src/services/budgets/',
];
const MONEY_HOME_NAMES = 'provider catalog/cost.ts, runtime budgets.ts, kernel services/budgets/';
/** Files that may add up dollars without the homes, each with why (only the money rule is waived). */
const MONEY_EXEMPT = {
  'packages/tui/src/view/reducer.ts':
    "shows a session's total of the cost_usd the gateway reports; the terminal UI depends on @oxydra/types and the gateway client only, not on the provider",
};

/**
 * Files allowed to repeat a fact, each with why. Keep this short: an entry is a fact that could
 * not be read from its home.
 */
const EXEMPT = {
  'packages/cli/bin/code-cache.cjs':
    'runs before any package is loaded, so it cannot read @oxydra/types: it names the cache and local-key folders itself',
  'scripts/check-one-home.mjs': 'this checker',
};

/** Where a wire's own header names may be spelt: its adapter, and the mock servers that play it. */
const WIRE_SPEAKERS = ['packages/provider/src/adapters/', 'packages/testkit/src/'];

/**
 * The keyEnv and defaultBaseUrl values, the row names, and the listing headers (listModels'
 * keyHeader and headers, names and values; not HTTP's own `authorization`) of WIRE_FACTS, read
 * from its source.
 */
function wireFacts(root) {
  const text = readFileSync(join(root, WIRE_HOME), 'utf8');
  const values = (field) => [...text.matchAll(new RegExp(`${field}: '([^']+)'`, 'g'))].map((m) => m[1]);
  const types = [...text.matchAll(/^ {2}(\w+): \{$/gm)].map((m) => m[1]);
  const fixed = [...text.matchAll(/\bheaders: \{([^}]*)\}/g)].flatMap((m) =>
    [...m[1].matchAll(/'([^']+)'/g)].map((q) => q[1]),
  );
  const headers = new Set([...values('keyHeader'), ...fixed].filter((h) => h !== 'authorization'));
  return {
    keys: new Set(values('keyEnv')),
    urls: new Set(values('defaultBaseUrl')),
    types: new Set(types),
    headers,
  };
}

/** `provider_type === '<type>'` (or !==), and `switch (... provider_type)`: a branch per wire. */
function providerTypeBranches(code, types) {
  const found = [];
  const lineOf = (index) => code.slice(0, index).split('\n').length;
  for (const m of code.matchAll(
    /provider_type\s*[!=]==?\s*['"`](\w+)['"`]|['"`](\w+)['"`]\s*[!=]==?\s*[\w.?]*provider_type\b/g,
  )) {
    const type = m[1] ?? m[2];
    if (types.has(type)) found.push({ line: lineOf(m.index), what: `a branch on provider_type '${type}'` });
  }
  for (const m of code.matchAll(/\bswitch\s*\([^)]*provider_type\s*\)/g))
    found.push({ line: lineOf(m.index), what: 'a switch on provider_type' });
  return found;
}

/** The source with comments blanked (line and block comments; strings are kept as they are). */
export function withoutComments(text) {
  let out = '';
  let i = 0;
  let quote;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (quote) {
      out += c;
      if (c === '\\') {
        out += next ?? '';
        i += 2;
        continue;
      }
      if (c === quote) quote = undefined;
      i++;
      continue;
    }
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    out += c;
    i++;
  }
  return out;
}

/**
 * A name that holds dollars or a price: costUsd, maxCostUsd, max_cost, reserve_usd, prices,
 * inputPrice, PRICES_PER_MILLION (a bare "cost" is too often an algorithm's). A type
 * (ModelPrices) starts with a capital and a lower-case letter, and is not one.
 */
const MONEY_NAME = String.raw`(?<![\w$])(?![A-Z][a-z])[\w$]*(?:[uU]sd|USD|[pP]rices?|PRICES?|[mM]ax_?[cC]ost|MAX_COST)(?![a-z])[\w$]*(?![\w$(])`;
/** Arithmetic (not ++, --, =>, a comment), and a comparison with anything but a number written out. */
const ARITHMETIC_OP = '(?<![-+=!<>/*])[-+*/](?![-+/*>])=?';
const COMPARISON_OP = '(?<![=<>-])[<>](?![<>])=?';
const OPERAND = String.raw`(?:[\w$]+\??\.)*${MONEY_NAME}`;
const MONEY_ARITHMETIC = new RegExp(
  [
    String.raw`${MONEY_NAME}\s*\)?\s*${ARITHMETIC_OP}\s*[\w$.(]`,
    String.raw`[\w$.)\]]\s*${ARITHMETIC_OP}\s*\(?\s*${OPERAND}`,
    String.raw`${MONEY_NAME}\s*\)?\s*${COMPARISON_OP}\s*(?![\d.]+\b)[\w$.(]`,
    String.raw`(?<![\d.])\b[A-Za-z_$][\w$.]*\)?\s*${COMPARISON_OP}\s*\(?\s*${OPERAND}`,
  ].join('|'),
  'g',
);
/** `const PRICES = {`, `let usdPerModel = new Map(`: a table of prices. */
const PRICE_TABLE =
  /\b(?:const|let|var)\s+([\w$]*(?:[pP]rices?|PRICES?|[uU]sd|USD)[\w$]*)\s*(?::[^=;]+)?=\s*(?:\{|\[|new Map\b)/g;

/** Dollar arithmetic, comparisons and price tables in `code` (comments and strings blanked). */
export function moneyFindings(code) {
  const bare = code.replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, (m) =>
    m.replace(/[^\n]/g, ' '),
  );
  const lineOf = (index) => bare.slice(0, index).split('\n').length;
  const found = [];
  for (const m of bare.matchAll(PRICE_TABLE))
    found.push({ line: lineOf(m.index), what: `a price table ${m[1]}` });
  const lines = new Set(found.map((f) => f.line));
  for (const m of bare.matchAll(MONEY_ARITHMETIC)) {
    const line = lineOf(m.index);
    if (lines.has(line)) continue;
    lines.add(line);
    found.push({ line, what: `dollar arithmetic "${m[0].trim()}"` });
  }
  return found.sort((a, b) => a.line - b.line);
}

/** Every string literal of the code ('…', "…", `…`), with its line number. */
function stringLiterals(code) {
  const found = [];
  for (const match of code.matchAll(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g)) {
    const line = code.slice(0, match.index).split('\n').length;
    found.push({ text: match[0].slice(1, -1), line, index: match.index, end: match.index + match[0].length });
  }
  return found;
}

/**
 * The provider types written side by side from literal `n` on (only separators between them),
 * empty unless `n` starts the run.
 */
function providerTypeRun(code, literals, n, types) {
  const joined = (a, b) => /^[\s,|=!&()[\]a-zA-Z_.]{0,60}$/.test(code.slice(a.end, b.index));
  if (!types.has(literals[n].text)) return [];
  if (n > 0 && types.has(literals[n - 1].text) && joined(literals[n - 1], literals[n])) return [];
  const run = [literals[n].text];
  for (
    let i = n + 1;
    i < literals.length && types.has(literals[i].text) && joined(literals[i - 1], literals[i]);
    i++
  )
    run.push(literals[i].text);
  return [...new Set(run)];
}

const LAUNCH_FLAG =
  /--(max-old-space-size|max-semi-space-size|min-semi-space-size|heapsnapshot[\w-]*|heap-growing-percent|compact-on-every-full-gc|wasm-tiering-budget|expose-gc)\b|\bMALLOC_[A-Z_]+/;

export function findings(root) {
  const wire = wireFacts(root);
  const problems = [];
  for (const file of sourceFiles(root)) {
    const rel = relative(root, file).split('\\').join('/');
    if (Object.hasOwn(EXEMPT, rel)) continue;
    let text = readFileSync(file, 'utf8');
    // The sh line of the launcher is generated from the table (scripts/launcher-sh.mjs).
    if (rel === 'packages/cli/bin/oxydra.js') {
      const lines = text.split('\n');
      if (lines[1] !== launcherShLine()) {
        problems.push(
          `${rel}:2: the sh line differs from ${LAUNCH_HOME}; run node scripts/launcher-sh.mjs --write`,
        );
      }
      lines[1] = '';
      text = lines.join('\n');
    }
    const code = withoutComments(text);
    const literals = stringLiterals(code);
    const report = (line, what, home) => problems.push(`${rel}:${line}: ${what} outside its home (${home})`);
    if (rel !== WIRE_HOME)
      for (const { line, what } of providerTypeBranches(code, wire.types)) report(line, what, WIRE_HOME);
    if (!MONEY_HOMES.some((home) => rel.startsWith(home)) && !Object.hasOwn(MONEY_EXEMPT, rel))
      for (const { line, what } of moneyFindings(code)) report(line, what, MONEY_HOME_NAMES);
    const speaksWire = WIRE_SPEAKERS.some((dir) => rel.startsWith(dir));
    for (const [n, literal] of literals.entries()) {
      if (rel !== WIRE_HOME) {
        if (wire.keys.has(literal.text)) report(literal.line, `key variable ${literal.text}`, WIRE_HOME);
        if (wire.urls.has(literal.text)) report(literal.line, `base URL ${literal.text}`, WIRE_HOME);
        if (!speaksWire && wire.headers.has(literal.text))
          report(literal.line, `model-listing header fact '${literal.text}'`, WIRE_HOME);
        const run = providerTypeRun(code, literals, n, wire.types);
        // A list or an ||/=== chain of types: three of them, or one only a wire API is named
        // (openai_responses; openai, anthropic and gemini also name embedding backends and mock APIs).
        if (run.length >= 3 || (run.length === 2 && run.some((type) => type.includes('_')))) {
          report(
            literal.line,
            `a list of provider types (${run.map((t) => `'${t}'`).join(', ')})`,
            WIRE_HOME,
          );
        }
      }
      if (!rel.startsWith('packages/cli/bin/launch-table.') && LAUNCH_FLAG.test(literal.text)) {
        report(literal.line, `launcher setting "${literal.text.match(LAUNCH_FLAG)[0]}"`, LAUNCH_HOME);
      }
      if (rel !== SECRET_HOME) {
        if (['.ssh', '.aws', '.gnupg'].includes(literal.text))
          report(literal.line, `secret folder ${literal.text}`, SECRET_HOME);
        const following = literals[n + 1];
        if (
          (literal.text === '.config' || literal.text === '.cache') &&
          following?.text === 'oxydra' &&
          /^\s*,\s*$/.test(code.slice(literal.end, following.index))
        ) {
          report(literal.line, `Oxydra's folder ${literal.text}/oxydra`, SECRET_HOME);
        }
      }
    }
  }
  return problems;
}

function sourceFiles(root) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      if (entry === 'node_modules' || entry === 'dist' || entry === 'bundle' || entry === 'test') continue;
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (
        /\.(ts|tsx|mts|js|mjs|cjs)$/.test(entry) &&
        !/\.d\.m?ts$/.test(entry) &&
        !/\.test\./.test(entry)
      )
        files.push(path);
    }
  };
  for (const pkg of readdirSync(join(root, 'packages'))) {
    for (const dir of ['src', 'bin']) {
      const path = join(root, 'packages', pkg, dir);
      try {
        if (statSync(path).isDirectory()) walk(path);
      } catch {
        // No such folder in this package.
      }
    }
  }
  for (const entry of readdirSync(join(root, 'scripts'))) {
    if (/\.(mjs|js|ts)$/.test(entry)) files.push(join(root, 'scripts', entry));
  }
  return files;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const { values } = parseArgs({ options: { root: { type: 'string', default: process.cwd() } } });
  const problems = findings(values.root);
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) {
    console.error(
      `one-home check: ${problems.length} fact(s) written out again; read them from their home instead`,
    );
    process.exit(1);
  }
  console.log('one-home check passed');
}

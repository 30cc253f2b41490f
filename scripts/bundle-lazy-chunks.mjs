// The CommonJS bundle's chunks that are required at their first use instead of when the files
// importing them load (scripts/bundle-cli.mjs). Rolldown hoists every import of another chunk
// to a `require()` at the top of the importer, so a chunk holding only CommonJS modules (whose
// bodies run at their first require, `__commonJSMin`) is still read, compiled or restored from
// the code cache, and its MAC checked whenever its importer loads, even when none of its
// modules ever runs. The rewrite happens in renderChunk, before rolldown hashes the chunk, so
// each file's name still says its content (bin/code-cache.cjs keys V8's cache by that name).

/**
 * The chunks (by rolldown's chunk name) `oxydra gateway` loaded at start and never ran: ajv
 * (Fastify's JSON Schema compilers and the MCP SDK's validator, built at their first use),
 * semver (Fastify's plugin version check, which no plugin registered at start asks for) and
 * safe-stable-stringify (pino and its helpers: Fastify's logger, which the gateway leaves off).
 * ~0.36 MB of source. Each must still be a chunk of its own: the build fails when one is not.
 * packages/cli/test/gateway-builtins.test.ts fails when the gateway's start loads one.
 */
export const LAZY_CHUNKS = ['ajv', 'semver', 'safe-stable-stringify'];

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `code` (a rendered chunk) with its top-level `const <binding> = require("./<name>-<hash>.cjs");`
 * turned into a loader, `const <binding> = () => (<binding>$loaded ??= require(...));`, and each
 * `<binding>.` use into `<binding>().`: how rolldown's CommonJS output uses another chunk's
 * exports. A use of another shape fails the build rather than load the chunk half-lazily.
 */
export function requireLazily(code, name, where) {
  const imported = new RegExp(
    `^const ([\\w$]+) = (require\\("\\./${escapeRegExp(name)}-!~\\{[\\w$-]+\\}~\\.cjs"\\));\\n`,
    'm',
  );
  const match = imported.exec(code);
  if (!match) return code;
  const [line, binding, required] = match;
  // Not after a word character or a member access's `.`; after a spread's `...` it is a use.
  const bare = new RegExp(`(?<![\\w$])(?<!(?<!\\.\\.)\\.)${escapeRegExp(binding)}(?![\\w$])`, 'g');
  let lazy = code.replace(
    line,
    `let ${binding}$loaded;\nconst ${binding} = () => (${binding}$loaded ??= ${required});\n`,
  );
  const head = lazy.indexOf(`const ${binding} = () =>`);
  const declaration = lazy.slice(head, lazy.indexOf('\n', head));
  const rest = lazy.slice(head + declaration.length);
  const uses = rest.replace(bare, (found, at) => {
    if (rest[at + found.length] !== '.')
      throw new Error(
        `${where}: uses chunk ${name} other than as ${binding}.<export>; update LAZY_CHUNKS (bundle-lazy-chunks.mjs)`,
      );
    return `${binding}()`;
  });
  lazy = lazy.slice(0, head + declaration.length) + uses;
  return lazy;
}

/** The rolldown plugin: LAZY_CHUNKS required at first use by every chunk importing them. */
export const LAZY_CHUNK_REQUIRES = {
  name: 'oxydra:lazy-chunk-requires',
  renderChunk(code, chunk) {
    let lazy = code;
    for (const name of LAZY_CHUNKS) lazy = requireLazily(lazy, name, chunk.fileName);
    return lazy === code ? null : { code: lazy, map: null };
  },
  // Each listed chunk still there, and no chunk requiring one at its top (rolldown rendering
  // those requires in another form would otherwise leave them eager without a word).
  generateBundle(_options, bundle) {
    const chunks = Object.values(bundle).filter((file) => file.type === 'chunk');
    for (const name of LAZY_CHUNKS) {
      const chunk = chunks.find((c) => c.name === name);
      if (!chunk)
        throw new Error(`no chunk named ${name} any more; update LAZY_CHUNKS (bundle-lazy-chunks.mjs)`);
      const eager = chunks.find((c) =>
        new RegExp(`^const [\\w$]+ = require\\("\\./${escapeRegExp(chunk.fileName)}"\\);$`, 'm').test(c.code),
      );
      if (eager)
        throw new Error(
          `${eager.fileName} still requires ${chunk.fileName} when it loads (bundle-lazy-chunks.mjs)`,
        );
    }
  },
};

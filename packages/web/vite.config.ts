/**
 * The dashboard's build: Preact through Vite's own JSX transform (oxc; no plugin), hashed
 * files under dist/assets/ and nothing inlined (the gateway's Content-Security-Policy allows no
 * inline script, style or data: URL), plus a gzip copy of each text asset beside it, which the
 * gateway sends to browsers that accept it.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

/** Writes name.gz beside every .js, .css, .svg, .html and .json file of the output. */
function gzipAssets(): Plugin {
  let outDir = '';
  return {
    name: 'oxydra-gzip-assets',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    closeBundle() {
      const walk = (dir: string): void => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) walk(path);
          else if (/\.(js|css|svg|html|json)$/.test(entry.name))
            writeFileSync(`${path}.gz`, gzipSync(readFileSync(path), { level: 9 }));
        }
      };
      walk(outDir);
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  plugins: [gzipAssets()],
});

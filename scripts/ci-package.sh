#!/usr/bin/env bash
# CI: the published package on Node 20, 22 and 24. For each runtime: build with it, run the
# README's install block as written (make the tarball, `npm install -g` it) into an empty npm
# prefix, then scripts/smoke-installed.mjs against that install with the same runtime. Node 22
# and 24 come from the npm registry's `node@22` / `node@24` packages (no other download).
# Prints the install's size and package count, and each runtime's cold start.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The README's install block, exactly as written there.
install_block=$(node -e '
  const readme = require("fs").readFileSync("README.md", "utf8");
  const m = /<!-- install: from-a-clone -->\n```bash\n([\s\S]*?)\n```/.exec(readme);
  if (!m) { console.error("README.md has no install block (<!-- install: from-a-clone -->)"); process.exit(1); }
  process.stdout.write(m[1]);
')

runtime_bin() {
  case "$1" in
    system) dirname "$(command -v node)" ;;
    *)
      npm install --no-save --no-audit --no-fund --prefix "$work/node$1" "node@$1" >/dev/null 2>&1
      echo "$work/node$1/node_modules/node/bin"
      ;;
  esac
}

for runtime in system 22 24; do
  bin=$(runtime_bin "$runtime")
  prefix="$work/prefix-$runtime"
  mkdir -p "$prefix"
  (
    export PATH="$prefix/bin:$bin:$PATH" npm_config_prefix="$prefix"
    printf '\n-- Node %s\n' "$(node --version)"
    rm -rf build
    # `npm ci` inside the block reinstalls node_modules with this runtime's npm.
    bash -euo pipefail -c "$install_block"
    installed="$prefix/lib/node_modules/oxydra"
    echo "install: $(du -sb "$installed" | cut -f1) bytes, $(cd "$installed" && npm ls --all --parseable 2>/dev/null | wc -l) packages"
    # Cold start: the first `oxydra --help` after install (module compile, no cache), then a warm one.
    for which in cold warm; do
      started=$(date +%s%N)
      oxydra --help >/dev/null
      echo "$which start (oxydra --help): $(( ($(date +%s%N) - started) / 1000000 )) ms"
    done
    node scripts/smoke-installed.mjs --expect-version "$(node -p 'require("./packages/cli/package.json").version')"
  )
done
cd "$repo"

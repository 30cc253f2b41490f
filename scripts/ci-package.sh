#!/usr/bin/env bash
# CI: the published package on Node 20, 22 and 24. For each runtime: build with it, run the
# README's install block as written (make the tarball, `npm install -g` it) into an empty npm
# prefix, then scripts/smoke-installed.mjs against that install with the same runtime. Node 22
# and 24 come from the npm registry's `node@22` / `node@24` packages (no other download).
# Prints the install's size and package count, and each runtime's cold start.
#
# The three run side by side (most of each is npm, one-threaded tsc and waiting on child
# processes): Node 20 (the system's) in this clone, as a user runs the block; 22 and 24 each in a
# copy of the clone of its own (tracked and new files, as a fresh clone has them), since the
# block's `npm ci` replaces node_modules and `npm run package` rewrites build/. Each line of
# output is prefixed with its runtime ([node20] ...); every runtime runs to its end and the
# script fails when any one did, naming it. The cold-start figures are taken while the others
# build: for a quiet measurement, run bench/cli-startup.mjs.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
# Removed in the background: the two copies hold a node_modules each (two minutes of rm -rf on a
# loaded machine, for nothing the step checks).
trap 'rm -rf "$work" &' EXIT

# The README's install block, exactly as written there.
install_block=$(node -e '
  const readme = require("fs").readFileSync("README.md", "utf8");
  const m = /<!-- install: from-a-clone -->\n```bash\n([\s\S]*?)\n```/.exec(readme);
  if (!m) { console.error("README.md has no install block (<!-- install: from-a-clone -->)"); process.exit(1); }
  process.stdout.write(m[1]);
')
version=$(node -p 'require("./packages/cli/package.json").version')

# The folder with runtime $1's `node` ("system": the one on PATH).
runtime_bin() {
  case "$1" in
    system) dirname "$(command -v node)" ;;
    *)
      if ! npm install --no-save --no-audit --no-fund --prefix "$work/node$1" "node@$1" >"$work/node$1.log" 2>&1; then
        cat "$work/node$1.log" >&2
        echo "error: npm could not install node@$1 (the log is above)" >&2
        return 1
      fi
      echo "$work/node$1/node_modules/node/bin"
      ;;
  esac
}

# The repository into $1 as a fresh clone has it: tracked files and new ones git does not ignore
# (no node_modules, dist or build).
copy_clone() {
  mkdir -p "$1"
  git -C "$repo" ls-files -z --cached --others --exclude-standard |
    tar -C "$repo" --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$1" -xf -
}

# The block, the install's figures and the smoke test for runtime $1, in the clone at $2.
package_on() {
  local runtime=$1 dir=$2 bin prefix="$work/prefix-$1"
  bin=$(runtime_bin "$runtime")
  mkdir -p "$prefix"
  cd "$dir"
  export PATH="$prefix/bin:$bin:$PATH" npm_config_prefix="$prefix"
  local running
  running=$(node --version)
  echo "-- Node $running ($dir)"
  if [ "$runtime" != system ] && [[ "$running" != "v$runtime."* ]]; then
    echo "error: expected Node $runtime from $bin, but node is $running" >&2
    return 1
  fi
  rm -rf build
  # `npm ci` inside the block reinstalls node_modules with this runtime's npm.
  bash -euo pipefail -c "$install_block"
  local installed="$prefix/lib/node_modules/oxydra"
  echo "install: $(du -sb "$installed" | cut -f1) bytes, $(cd "$installed" && npm ls --all --parseable 2>/dev/null | wc -l) packages"
  # Cold start: the first `oxydra --help` after install (module compile, no cache), then a warm one.
  local which started
  for which in cold warm; do
    started=$(date +%s%N)
    oxydra --help >/dev/null
    echo "$which start (oxydra --help): $(( ($(date +%s%N) - started) / 1000000 )) ms"
  done
  node scripts/smoke-installed.mjs --expect-version "$version"
}

runtimes=(system 22 24)
# OXYDRA_PACKAGE_IN_COPIES=1 (.ci/run, which runs this beside the test suite): the system's Node
# too works in a copy, leaving this clone's node_modules and builds to the tests.
in_copies=${OXYDRA_PACKAGE_IN_COPIES:-0}
# The copies first, before the block builds anything in this clone.
for runtime in "${runtimes[@]:1}"; do copy_clone "$work/clone-$runtime"; done
[ "$in_copies" = 1 ] && copy_clone "$work/clone-system"
for runtime in "${runtimes[@]}"; do
  if [ "$runtime" = system ]; then
    label="node$(node -p 'process.versions.node.split(".")[0]')"
    if [ "$in_copies" = 1 ]; then dir="$work/clone-system"; else dir=$repo; fi
  else
    dir="$work/clone-$runtime" label="node$runtime"
  fi
  # errexit off in this group so the exit code is recorded; on inside the runtime's subshell.
  {
    set +e
    (set -e; package_on "$runtime" "$dir") 2>&1
    echo $? >"$work/rc-$runtime"
  } | sed -u "s/^/[$label] /" &
done
wait

failed=()
for runtime in "${runtimes[@]}"; do
  rc=$(cat "$work/rc-$runtime" 2>/dev/null || echo missing)
  [ "$rc" = 0 ] || failed+=("$([ "$runtime" = system ] && echo "the system's Node" || echo "Node $runtime") (exit $rc)")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "error: the package step failed on ${failed[*]}: its lines are prefixed above" >&2
  exit 1
fi
echo "the package step passed on Node 20, 22 and 24"

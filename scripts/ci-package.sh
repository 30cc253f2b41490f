#!/usr/bin/env bash
# CI: the published package on Node 20, 22 and 24. With the system's Node (20): the README's
# install block as written (build, make the tarball, `npm install -g` it) into an empty npm prefix,
# in a copy of the clone as a fresh clone has it. With Node 22 and 24: that same tarball installed
# with `npm install -g` under the runtime (so its dependencies are resolved and installed by it, as
# a user of that runtime installs the package), in an empty prefix of its own. Then, for each,
# scripts/smoke-installed.mjs against that install with the same runtime. Node 22 and 24 come from
# the npm registry's `node@22` / `node@24` packages (no other download).
# Prints the install's size and package count, and each runtime's cold start.
#
# Why 22 and 24 install the tarball instead of building their own: the tarball is what every user
# installs, and the build's output (tsc, esbuild, vite) does not depend on the runtime that ran it;
# three builds cost about 550 s of CPU beside the test suite on a 2-core machine, one costs 180.
# What runs on 22 and 24 is the installed package end to end: the smoke test's every check,
# including the library typechecked by TypeScript.
#
# Each line of output is prefixed with its runtime ([node20] ...); every runtime runs to its end
# and the script fails when any one did, naming it. The cold-start figures are taken while the
# others run: for a quiet measurement, run bench/cli-startup.mjs.
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
      # Fetched once: the groups of 22 and 24 fetch their runtime while the block builds.
      if [ -x "$work/node$1/node_modules/node/bin/node" ]; then
        echo "$work/node$1/node_modules/node/bin"
        return 0
      fi
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

# Runtime $1's install into an empty prefix, in the clone at $2: the README's block as written
# (system) or the tarball the block built ($3); then the install's figures and the smoke test.
package_on() {
  local runtime=$1 dir=$2 tarball=${3:-} bin prefix="$work/prefix-$1"
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
  if [ -z "$tarball" ]; then
    rm -rf build
    bash -euo pipefail -c "$install_block"
  else
    echo "installing $(basename "$tarball") (built by the system's Node) with npm under Node $running"
    npm install -g --no-audit --no-fund "$tarball"
    oxydra --version
  fi
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
# OXYDRA_PACKAGE_IN_COPIES=1 (.ci/run, which runs this beside the test suite): the block works in
# a copy, leaving this clone's node_modules and builds to the tests.
in_copies=${OXYDRA_PACKAGE_IN_COPIES:-0}
if [ "$in_copies" = 1 ]; then
  block_dir="$work/clone-system"
  copy_clone "$block_dir"
else
  block_dir=$repo
fi
label="node$(node -p 'process.versions.node.split(".")[0]')"
# The block first; 22 and 24 fetch their runtime meanwhile, then wait for its tarball. Each group
# records its exit code with errexit off, and runs its work in a subshell with errexit on.
{
  set +e
  (set -e; package_on system "$block_dir") 2>&1
  echo $? >"$work/rc-system"
} | sed -u "s/^/[$label] /" &
for runtime in "${runtimes[@]:1}"; do
  {
    set +e
    (
      set -e
      runtime_bin "$runtime" >/dev/null
      while [ ! -s "$work/rc-system" ]; do sleep 2; done
      tarball=$(ls "$block_dir"/build/oxydra-*.tgz 2>/dev/null | head -n 1)
      if [ "$(cat "$work/rc-system")" != 0 ] || [ -z "$tarball" ]; then
        echo "error: no tarball to install: the README's block failed on the system's Node (its lines are above)" >&2
        exit 1
      fi
      package_on "$runtime" "$block_dir" "$tarball"
    ) 2>&1
    echo $? >"$work/rc-$runtime"
  } | sed -u "s/^/[node$runtime] /" &
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

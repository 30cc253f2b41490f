#!/usr/bin/env bash
# CI: the tests of the packages whose behaviour depends most on the JavaScript engine (types,
# provider, runtime: streams, strings, timers, abort signals) once more on Node 22 and 24, from
# the npm registry's `node@22` / `node@24` packages. The suite runs on the system's Node (20) and
# the package step checks the installed package on 22 and 24 end to end; this caught what neither
# did: on 22 and 24 an optimised caller dropped the character read that flattens a streamed answer
# (flatString, @oxydra/types), so every stored answer kept one object per delta
# (collect-memory.test.ts). About 30 s a runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for runtime in 22 24; do
  if ! npm install --no-save --no-audit --no-fund --prefix "$work/node$runtime" "node@$runtime" >"$work/node$runtime.log" 2>&1; then
    cat "$work/node$runtime.log" >&2
    echo "error: npm could not install node@$runtime (the log is above)" >&2
    exit 1
  fi
  bin="$work/node$runtime/node_modules/node/bin"
  echo "-- Node $("$bin/node" --version): packages/types, packages/provider, packages/runtime"
  PATH="$bin:$PATH" "$bin/node" node_modules/vitest/vitest.mjs run packages/types packages/provider packages/runtime ||
    failed+=("$runtime")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "error: the tests failed on Node ${failed[*]} (above)" >&2
  exit 1
fi

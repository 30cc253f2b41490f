#!/usr/bin/env bash
# Installs the pgvector extension into the machine's PostgreSQL 15 (issue 33: the PostgreSQL
# search index needs it; docs/postgres.md, "Installing pgvector on Debian 12").
#
# Debian 12 (bookworm) has no pgvector package, and the project's machines reach only the npm
# registry and Debian's mirrors. trixie's source package builds against PostgreSQL 15, so this
# script adds a deb-src-only trixie entry (never a binary `deb` line: the running server must not
# be upgraded), fetches the source, installs postgresql-server-dev-15 at exactly the installed
# server's version, builds and installs. No server restart is needed: `CREATE EXTENSION vector`
# works at once.
#
# Idempotent: when the extension's control file and library are already there it says so and
# exits. Exits non-zero when it cannot install (CI then fails rather than skip the search tests).
set -euo pipefail

PG_MAJOR=15
PG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config
CONTROL=/usr/share/postgresql/$PG_MAJOR/extension/vector.control
SOURCES=/etc/apt/sources.list.d/oxydra-trixie-src.sources
STAMP=/usr/share/postgresql/$PG_MAJOR/extension/vector.oxydra-build

fail() { echo "ci-pgvector: error: $*" >&2; exit 1; }

server_version=$(dpkg-query -W -f='${Version}' "postgresql-$PG_MAJOR" 2>/dev/null) ||
  fail "postgresql-$PG_MAJOR is not installed (dpkg-query finds no package)"

# Installed and built for this server: the control file, the library in the server's own
# library folder and, when this script built it, a stamp naming the same server version.
libdir=/usr/lib/postgresql/$PG_MAJOR/lib
if [ -f "$CONTROL" ] && [ -f "$libdir/vector.so" ]; then
  if [ ! -f "$STAMP" ] || grep -qx "server=$server_version" "$STAMP"; then
    echo "ci-pgvector: pgvector $(sed -n "s/^default_version = '\(.*\)'/\1/p" "$CONTROL") already installed for PostgreSQL $server_version, nothing to do"
    exit 0
  fi
  echo "ci-pgvector: pgvector was built for $(sed -n 's/^server=//p' "$STAMP"), the server is $server_version: building again"
fi

[ "$(id -u)" -eq 0 ] || fail "pgvector is missing and installing it needs root (run: sudo bash $0)"
command -v apt-get >/dev/null 2>&1 || fail "pgvector is missing and there is no apt-get to build it"

export DEBIAN_FRONTEND=noninteractive
apt_quiet=(-y -qq -o Dpkg::Use-Pty=0 --no-install-recommends)

work=$(mktemp -d /tmp/ci-pgvector.XXXXXX)
trap 'rm -rf "$work"' EXIT
log=$work/apt.log

cat >"$SOURCES" <<'EOF'
# Source packages only (apt-get source pgvector, scripts/ci-pgvector.sh). Never add a binary
# `deb` trixie line here: apt would upgrade the running PostgreSQL server.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

# The header package must be the server's exact version; after a server update the package
# lists of the machine may be older than the server, so they are refreshed once when it is not
# found. Only the trixie source list is fetched otherwise (fast).
if ! apt-cache show "postgresql-server-dev-$PG_MAJOR=$server_version" >/dev/null 2>&1; then
  apt-get update -qq || fail "apt-get update failed"
else
  apt-get update -qq -o Dir::Etc::sourcelist="$SOURCES" -o Dir::Etc::sourceparts=- \
    -o APT::Get::List-Cleanup=0 || fail "apt-get update of the trixie sources failed"
fi
# Debian's mirrors keep only the newest point release: when the server here is older than it,
# its exact headers are gone. Extensions are ABI-compatible across a major version's point
# releases, so the mirror's headers of the same major build a library this server loads.
headers="postgresql-server-dev-$PG_MAJOR=$server_version"
if ! apt-cache show "$headers" >/dev/null 2>&1; then
  echo "ci-pgvector: warning: no headers of PostgreSQL $server_version on the mirror; building with postgresql-server-dev-$PG_MAJOR $(apt-cache policy "postgresql-server-dev-$PG_MAJOR" | sed -n 's/^ *Candidate: //p') (same major, same ABI)"
  headers="postgresql-server-dev-$PG_MAJOR"
fi
# Only what is missing (an installed dpkg-dev or compiler is not upgraded); apt's chatter goes to
# a log shown only when it fails.
wanted=()
for pkg in dpkg-dev build-essential; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || wanted+=("$pkg")
done
[ "$(dpkg-query -W -f='${Status} ${Version}' "postgresql-server-dev-$PG_MAJOR" 2>/dev/null)" = \
  "install ok installed $server_version" ] || wanted+=("$headers")
if [ ${#wanted[@]} -gt 0 ]; then
  apt-get install "${apt_quiet[@]}" "${wanted[@]}" >"$log" 2>&1 ||
    { cat "$log" >&2; fail "cannot install ${wanted[*]}"; }
fi

(cd "$work" && apt-get source -qq pgvector >/dev/null 2>&1) ||
  fail "apt-get source pgvector failed (is deb.debian.org reachable? see $SOURCES)"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' | head -n 1)
[ -n "$src" ] || fail "apt-get source pgvector unpacked nothing"

# OPTFLAGS="": no -march=native, so the library runs on any x86-64 machine the image lands on.
# with_llvm=no: no JIT bitcode (clang's), which the index does not need.
make -s -C "$src" OPTFLAGS="" with_llvm=no PG_CONFIG="$PG_CONFIG" -j"$(nproc)" >/dev/null ||
  fail "building pgvector failed (in $src)"
make -s -C "$src" OPTFLAGS="" with_llvm=no PG_CONFIG="$PG_CONFIG" install >/dev/null ||
  fail "make install of pgvector failed"
echo "server=$server_version" >"$STAMP"

[ -f "$CONTROL" ] || fail "make install left no $CONTROL"
echo "ci-pgvector: built and installed pgvector $(basename "$src" | sed 's/^pgvector-//') for PostgreSQL $server_version (from trixie's source package)"

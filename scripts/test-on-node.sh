#!/usr/bin/env bash
# Runs .ci/run (the README's install and test commands) on another Node.js version, in a
# fresh clone of this checkout's HEAD, without touching the Node on PATH.
#
#   scripts/test-on-node.sh 22          # newest 22.x
#   scripts/test-on-node.sh 24.11.1     # an exact version
#
# The Node binary comes from the npm registry (the `node-linux-<arch>` package,
# which ships the official build and its headers), so this works where only
# the package registries are reachable. better-sqlite3 is compiled against that
# Node's own headers. Linux x64/arm64 only. The clone's `../shared` (trade data,
# seeds) is a link to this checkout's, when present.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 <node version, e.g. 22 or 24.11.1>" >&2
  exit 2
fi
version=$1
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "$0: no node-linux package for $(uname -m)" >&2; exit 2 ;;
esac
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/flowtrace-node-$version.XXXXXX")
# mktemp makes it 0700: the tests that run the CLI as another user (nobody, to check what a user
# without write access sees) could not reach the Node binary or the clone, and would skip.
chmod 755 "$work"
echo "work directory: $work (removed on success)"

# The Node build, unpacked outside the clone.
(cd "$work" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
mkdir -p "$work/node"
tar -xzf "$work"/node-linux-"$arch"-*.tgz -C "$work/node"
node_home="$work/node/package"
[ -x "$node_home/bin/node" ] || { echo "$0: no node binary in node-linux-$arch@$version" >&2; exit 1; }

# A clean clone of HEAD, with ../shared beside it as CI has it.
mkdir -p "$work/ws"
git clone --quiet "$repo" "$work/ws/flowtrace"
if [ -d "$repo/../shared" ]; then ln -s "$(cd "$repo/../shared" && pwd)" "$work/ws/shared"; fi

cd "$work/ws/flowtrace"
# The package holds node alone: the npm on PATH runs under it, and global installs
# (pnpm) go to a prefix of this run, not the machine's.
export PATH="$work/npm-global/bin:$node_home/bin:$PATH" npm_config_prefix="$work/npm-global" \
  npm_config_nodedir="$node_home" CI=true
echo "node $(node -v), npm $(npm -v)"
# What CI runs: the README's test command (and, as root, the optional Debian tools).
bash .ci/run
rm -rf "$work"
echo "node $version: install and tests passed"

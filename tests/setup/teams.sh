#!/usr/bin/env bash
# Installs what the Teams tests need beyond Python: Node.js/npm (Debian packages, when missing)
# and the Microsoft 365 Agents Playground, a local Teams client, into <repo>/.cache/playground.
# Idempotent: a second run changes nothing. CI calls it before pytest.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
version=0.2.28
prefix="$repo/.cache/playground"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt-get update
  apt-get install -y --no-install-recommends nodejs npm
fi

cli="$prefix/node_modules/@microsoft/m365agentsplayground/cli.js"
installed=$(node -p "require('$prefix/node_modules/@microsoft/m365agentsplayground/package.json').version" 2>/dev/null || true)
if [ ! -f "$cli" ] || [ "$installed" != "$version" ]; then
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund "@microsoft/m365agentsplayground@$version"
fi
echo "Agents Playground $version: $cli"

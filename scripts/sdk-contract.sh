#!/usr/bin/env bash
# `make sdk` (part of `make test`): contract tests of the gateway API (GATEWAY.md) with
# Hookdeck's official TypeScript SDK, @hookdeck/sdk 0.4.0 (tests/sdk, `node --test`).
#
# - `npm ci` into tests/sdk/node_modules (git-ignored) only when package-lock.json changed
#   since the last install;
# - starts `hookd all-in-one` with a fresh database and broker prefix (scripts/stack.sh),
#   removed (and hookd stopped) on exit; hookd's log: target/sdk-hookd.log;
# - runs the tests with HOOKD_SDK_BASE (the ingest address) and HOOKD_SDK_KEY (an admin key);
#   the SDK is pointed at $HOOKD_SDK_BASE/2024-03-01. HOOKD_SDK_ROUTER (the router's
#   /metrics) and HOOKD_SDK_DATABASE_URL (psql) let a test wait for routing.
# Arguments (test files) go to `node --test` instead of every tests/sdk/*.test.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '==> %s\n' "$*"; }

command -v node >/dev/null || { echo "node (20 or later) is needed for the SDK tests" >&2; exit 1; }
stamp=tests/sdk/node_modules/.package-lock.json.installed
if ! cmp -s tests/sdk/package-lock.json "$stamp"; then
  say "installing @hookdeck/sdk (npm ci in tests/sdk)"
  npm ci --prefix tests/sdk --no-audit --no-fund --loglevel=error
  cp tests/sdk/package-lock.json "$stamp"
fi

# shellcheck source=scripts/stack.sh
source scripts/stack.sh
stack_start sdk

say "SDK contract tests"
cd tests/sdk
if [ $# -eq 0 ]; then
  set -- *.test.mjs
fi
HOOKD_SDK_BASE="$STACK_BASE" HOOKD_SDK_KEY="$STACK_KEY" \
  HOOKD_SDK_DATABASE_URL="$STACK_DATABASE_URL" HOOKD_SDK_ROUTER="$STACK_ROUTER" \
  node --test "$@"

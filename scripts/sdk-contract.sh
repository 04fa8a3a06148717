#!/usr/bin/env bash
# `make sdk` (part of `make test`): contract tests of the gateway API (GATEWAY.md) with
# Hookdeck's official TypeScript SDK, @hookdeck/sdk 0.4.0 (tests/sdk, `node --test`).
#
# - `npm ci` into tests/sdk/node_modules (git-ignored) only when package-lock.json changed
#   since the last install;
# - builds the `hookd` binary and starts `hookd all-in-one` on free ports with a fresh database
#   and broker prefix, as tests/e2e/support.py does; removes both (and stops hookd) on exit;
# - runs the tests with HOOKD_SDK_BASE (the ingest address) and HOOKD_SDK_KEY (an admin key);
#   the SDK is pointed at $HOOKD_SDK_BASE/2024-03-01. HOOKD_SDK_ROUTER (the router's
#   /metrics) and HOOKD_SDK_DATABASE_URL (psql) let a test wait for routing. hookd's log: target/sdk-hookd.log.
# Arguments (test files) go to `node --test` instead of every tests/sdk/*.test.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
say() { printf '==> %s\n' "$*"; }
PG="${HOOKD_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432}"
AMQP="${HOOKD_TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"

command -v node >/dev/null || { echo "node (20 or later) is needed for the SDK tests" >&2; exit 1; }
stamp=tests/sdk/node_modules/.package-lock.json.installed
if ! cmp -s tests/sdk/package-lock.json "$stamp"; then
  say "installing @hookdeck/sdk (npm ci in tests/sdk)"
  npm ci --prefix tests/sdk --no-audit --no-fund --loglevel=error
  cp tests/sdk/package-lock.json "$stamp"
fi

scripts/ensure-services.sh
say "building hookd"
cargo build --quiet -p hookd
bin="${CARGO_TARGET_DIR:-$root/target}/debug/hookd"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
tag=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
database="hookd_sdk_$tag"
prefix="sdk.$tag."
port=$(free_port)
router_port=$(free_port)
key="sdk_admin_key_$tag"
mkdir -p target
HOOKD_PROFILE=local HOOKD_CONFIG_DIR="$root/config" \
  HOOKD__DATABASE__URL="$PG/$database" \
  HOOKD__AMQP__URL="$AMQP" \
  HOOKD__AMQP__PREFIX="$prefix" \
  HOOKD__INGEST__LISTEN="127.0.0.1:$port" \
  HOOKD__ROUTER__LISTEN="127.0.0.1:$router_port" \
  HOOKD__DELIVERY__LISTEN="127.0.0.1:$(free_port)" \
  HOOKD__DELIVERY__RETRY_SCHEDULE="0s,1s,1s" \
  HOOKD__DELIVERY__POLL_INTERVAL=100ms \
  HOOKD__ROUTER__SWEEP_INTERVAL=200ms \
  HOOKD__AUTH__BOOTSTRAP_API_KEY="$key" \
  HOOKD__LOG__FORMAT=pretty HOOKD__LOG__LEVEL=warn \
  "$bin" all-in-one >target/sdk-hookd.log 2>&1 &
pid=$!

cleanup() {
  # Best effort throughout, and the tests' status is the script's: under `set -e` a failing
  # command here (grep finding no queue left) would otherwise end the script with its status.
  local status=$?
  set +e
  kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  psql "$PG/postgres" -q -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" >/dev/null 2>&1 || true
  # Best effort, as the e2e suite: the broker names of this run.
  if command -v rabbitmqctl >/dev/null; then
    rabbitmqctl -q list_queues name 2>/dev/null | grep -F "$prefix" | while read -r q; do
      rabbitmqctl -q delete_queue "$q" >/dev/null 2>&1 || true
    done
  fi
  if command -v rabbitmqadmin >/dev/null; then
    rabbitmqadmin -f tsv -q list exchanges name 2>/dev/null | grep -F "$prefix" | while read -r x; do
      rabbitmqadmin -q delete exchange name="$x" >/dev/null 2>&1 || true
    done
  fi
  exit "$status"
}
trap cleanup EXIT

deadline=$((SECONDS + 60))
until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "hookd exited; see target/sdk-hookd.log" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "hookd not ready after 60 s; see target/sdk-hookd.log" >&2
    exit 1
  fi
  sleep 0.2
done

say "SDK contract tests"
cd tests/sdk
if [ $# -eq 0 ]; then
  set -- *.test.mjs
fi
HOOKD_SDK_BASE="http://127.0.0.1:$port" HOOKD_SDK_KEY="$key" \
  HOOKD_SDK_DATABASE_URL="$PG/$database" HOOKD_SDK_ROUTER="http://127.0.0.1:$router_port" \
  node --test "$@"

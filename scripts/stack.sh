# Sourced by the scripts that test a running hookd (sdk-contract.sh, clients.sh):
#
#   stack_start NAME   builds the `hookd` binary and starts `hookd all-in-one` on free ports with
#                      a fresh database (hookd_NAME_<tag>) and broker prefix (NAME.<tag>.), as
#                      tests/e2e/support.py does; waits until it is ready. Sets STACK_BASE (the
#                      ingest address), STACK_KEY (an admin key), STACK_ROUTER (the router's
#                      address), STACK_DATABASE_URL. hookd's log: target/NAME-hookd.log.
#                      On exit, hookd is stopped and the database and broker names removed,
#                      best effort, keeping the script's exit status.
# shellcheck shell=bash
STACK_PG="${HOOKD_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432}"
STACK_AMQP="${HOOKD_TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"

stack_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stack_start() {
  local name=$1 root
  root=$(pwd)
  scripts/ensure-services.sh
  printf '==> %s\n' "building hookd"
  cargo build --quiet -p hookd
  local bin="${CARGO_TARGET_DIR:-$root/target}/debug/hookd"
  local tag
  tag=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
  stack_database="hookd_${name}_$tag"
  stack_prefix="$name.$tag."
  local port router_port
  port=$(stack_free_port)
  router_port=$(stack_free_port)
  STACK_KEY="${name}_admin_key_$tag"
  STACK_BASE="http://127.0.0.1:$port"
  STACK_ROUTER="http://127.0.0.1:$router_port"
  STACK_DATABASE_URL="$STACK_PG/$stack_database"
  stack_log="target/$name-hookd.log"
  mkdir -p target
  HOOKD_PROFILE=local HOOKD_CONFIG_DIR="$root/config" \
    HOOKD__DATABASE__URL="$STACK_DATABASE_URL" \
    HOOKD__AMQP__URL="$STACK_AMQP" \
    HOOKD__AMQP__PREFIX="$stack_prefix" \
    HOOKD__INGEST__LISTEN="127.0.0.1:$port" \
    HOOKD__ROUTER__LISTEN="127.0.0.1:$router_port" \
    HOOKD__DELIVERY__LISTEN="127.0.0.1:$(stack_free_port)" \
    HOOKD__DELIVERY__RETRY_SCHEDULE="0s,1s,1s" \
    HOOKD__DELIVERY__POLL_INTERVAL=100ms \
    HOOKD__ROUTER__SWEEP_INTERVAL=200ms \
    HOOKD__AUTH__BOOTSTRAP_API_KEY="$STACK_KEY" \
    HOOKD__LOG__FORMAT=pretty HOOKD__LOG__LEVEL=warn \
    "$bin" all-in-one >"$stack_log" 2>&1 &
  stack_pid=$!
  trap stack_stop EXIT

  local deadline=$((SECONDS + 60))
  until curl -fsS "$STACK_BASE/readyz" >/dev/null 2>&1; do
    if ! kill -0 "$stack_pid" 2>/dev/null; then
      echo "hookd exited; see $stack_log" >&2
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "hookd not ready after 60 s; see $stack_log" >&2
      exit 1
    fi
    sleep 0.2
  done
}

stack_stop() {
  # Best effort throughout, and the tests' status is the script's: under `set -e` a failing
  # command here (grep finding no queue left) would otherwise end the script with its status.
  local status=$?
  set +e
  kill "$stack_pid" 2>/dev/null && wait "$stack_pid" 2>/dev/null
  psql "$STACK_PG/postgres" -q -c "DROP DATABASE IF EXISTS \"$stack_database\" WITH (FORCE)" >/dev/null 2>&1 || true
  # Best effort, as the e2e suite: the broker names of this run. The loops' commands read no
  # stdin (it is the list being read: rabbitmqctl would swallow the rest of it). rabbitmqctl
  # has no command to delete an exchange, and rabbitmqadmin needs the management plugin, which
  # a stock broker does not enable: the exchanges go through the broker's own function.
  if command -v rabbitmqctl >/dev/null; then
    rabbitmqctl -q list_queues name 2>/dev/null | grep -F "$stack_prefix" | while read -r q; do
      rabbitmqctl -q delete_queue "$q" </dev/null >/dev/null 2>&1 || true
    done
    rabbitmqctl -q list_exchanges name 2>/dev/null | grep -F "$stack_prefix" | while read -r x; do
      rabbitmqctl -q eval "rabbit_exchange:delete(rabbit_misc:r(<<\"/\">>, exchange, <<\"$x\">>), false, <<\"hookd-tests\">>)." </dev/null >/dev/null 2>&1 || true
    done
  fi
  exit "$status"
}

#!/usr/bin/env bash
# `make fuzz`: schemathesis against the OpenAPI document that the ingest service serves.
#
# Starts ingest, router and delivery (debug build) as children of this script on a database
# (`hookd_fuzz`, dropped first) and broker prefix (`fuzz.`) of their own, creates a little data
# so that routes taking ids have something to find, then lets schemathesis generate requests
# and checks every answer: no 5xx, and status code, content type and body as the document says.
# Exits non-zero on any failure. Every child is killed on exit.
#
# Traffic stays on this machine: the API is on 127.0.0.1, and the delivery worker (the only
# component that makes outbound HTTP requests, to endpoint URLs that the fuzzer makes up) runs
# in a network namespace of its own that has nothing but a loopback interface; PostgreSQL and
# RabbitMQ reach it through unix-socket bridges. Without `unshare` or `socat` the delivery
# worker is not started at all (the API answers the same without it).
#
# Knobs: FUZZ_MAX_EXAMPLES (per operation and phase, default 120), FUZZ_MAX_TIME (seconds of
# schemathesis, default 420), FUZZ_WORKERS (default 2), FUZZ_SEED (default: random),
# FUZZ_REPORT_DIR (default target/fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-120}"
MAX_TIME="${FUZZ_MAX_TIME:-420}"
WORKERS="${FUZZ_WORKERS:-2}"
REPORT_DIR="${FUZZ_REPORT_DIR:-$root/target/fuzz}"
KEY=hookd_dev_key
API_ADDR=127.0.0.1:18080
BASE="http://$API_ADDR"
PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres

say() { printf '==> %s\n' "$*"; }

# --- schemathesis -----------------------------------------------------------------------------
wanted=$(sed -n 's/^schemathesis==//p' scripts/fuzz-requirements.txt)
have=$(python3 -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null || true)
if [ "$have" != "$wanted" ]; then
  say "installing schemathesis $wanted from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check -r scripts/fuzz-requirements.txt
fi
ST=(python3 -m schemathesis.cli)

# --- services and binaries --------------------------------------------------------------------
scripts/ensure-services.sh
say "building the debug binaries"
cargo build -p hookd -p hookd-ingest -p hookd-router -p hookd-delivery
bin="$root/target/debug"

# --- the stack, as children -------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/hookd-fuzz.XXXXXX")
pids=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # Each child leads its own process group (setsid), so this also ends what it started.
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

spawn() { # log-name command...
  local log="$REPORT_DIR/$1.log"
  shift
  setsid "$@" >"$log" 2>&1 &
  pids+=("$!")
}

export HOOKD_PROFILE=local
export HOOKD__DATABASE__URL=postgres://postgres@127.0.0.1:5432/hookd_fuzz
export HOOKD__AMQP__PREFIX=fuzz.
export HOOKD__INGEST__LISTEN=$API_ADDR
export HOOKD__ROUTER__LISTEN=127.0.0.1:18081
export HOOKD__DELIVERY__LISTEN=127.0.0.1:18082
export HOOKD__RATELIMIT__MANAGEMENT_PER_SECOND=0
# The fuzzer sends bad keys on purpose, all from one address: keep answering them 401.
export HOOKD__RATELIMIT__FAILED_AUTH_PER_MINUTE=0
export HOOKD__LOG__LEVEL=warn
# Three quick tries, so that deliveries and attempts of every status exist while it runs.
export HOOKD__DELIVERY__RETRY_SCHEDULE=0s,1s,1s
export HOOKD__DELIVERY__TIMEOUT=2s

mkdir -p "$REPORT_DIR"
rm -rf "$REPORT_DIR/report"
say "fresh database hookd_fuzz and broker prefix fuzz."
psql -q "$PG_ADMIN_URL" -c 'DROP DATABASE IF EXISTS hookd_fuzz WITH (FORCE)' >/dev/null
if command -v rabbitmqctl >/dev/null 2>&1; then
  for q in $(timeout 60 rabbitmqctl -q list_queues name 2>/dev/null | grep '^fuzz\.' || true); do
    timeout 30 rabbitmqctl -q delete_queue "$q" >/dev/null 2>&1 || true
  done
fi
"$bin/hookd" migrate

spawn ingest "$bin/hookd-ingest"
spawn router "$bin/hookd-router"

if command -v unshare >/dev/null 2>&1 && command -v socat >/dev/null 2>&1 \
  && unshare -n true 2>/dev/null; then
  for port in 5432 5672; do
    spawn "bridge-$port" socat "UNIX-LISTEN:$work/$port.sock,fork,unlink-early" "TCP:127.0.0.1:$port"
  done
  for _ in $(seq 1 50); do [ -S "$work/5432.sock" ] && [ -S "$work/5672.sock" ] && break; sleep 0.1; done
  # Inside: only a loopback interface; 127.0.0.1:5432/5672 lead back out through the bridges.
  spawn delivery unshare -n bash -c '
    ip link set lo up
    for port in 5432 5672; do
      socat "TCP-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr" "UNIX-CONNECT:$1/$port.sock" &
    done
    sleep 0.3
    "$2/hookd-delivery" &
    child=$!
    trap "kill -TERM $child 2>/dev/null" TERM INT
    wait $child' bash "$work" "$bin"
  delivery=started
else
  say "no unshare or socat: the delivery worker is not started (no outbound requests at all)"
  delivery="not started (no unshare or socat)"
fi

for _ in $(seq 1 150); do
  curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "$BASE/readyz" >/dev/null || { echo "error: ingest is not ready; see $REPORT_DIR/ingest.log" >&2; exit 1; }

# --- a little data ------------------------------------------------------------------------------
api() { # method path [json] -> body on stdout; fails unless 2xx
  curl -fsS -X "$1" "$BASE/api/v1$2" -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' ${3:+--data-binary "$3"}
}
field() { # dotted path (models.0.id) of the JSON on stdin
  python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if k.isdigit() else v[k]
print(v)' "$1"
}

say "creating data for the routes that take ids"
app_id=$(api POST /apps '{"name":"fuzz-app"}' | field id)
for t in user.created user.deleted; do
  api POST "/apps/$app_id/event_types" "{\"name\":\"$t\",\"description\":\"fuzz\"}" >/dev/null
done
sub_id=$(api POST "/apps/$app_id/subscriptions" '{"name":"fuzz-sub","metadata":{"tier":"gold"}}' | field id)
endpoint_id=$(api POST "/subscriptions/$sub_id/endpoints" \
  '{"url":"http://127.0.0.1:18099/hook","version":"1.0","event_types":["user.created","user.deleted"]}' | field id)
message_id=$(api POST "/apps/$app_id/messages" \
  '{"event_type":"user.created","event_id":"fuzz-1","data":{"n":1}}' | field id)
task_id=$(api POST "/apps/$app_id/tasks" \
  '{"event_type":"user.created","scheduled_run_time":"2099-01-01T00:00:00Z","data":{"n":2}}' | field id)
key_id=$(api POST /api_keys '{"name":"fuzz-key"}' | field id)
delivery_id=""
for _ in $(seq 1 100); do
  delivery_id=$(api GET "/messages/$message_id/deliveries" | field models.0.id 2>/dev/null || true)
  [ -n "$delivery_id" ] && break
  sleep 0.1
done
[ -n "$delivery_id" ] || { echo "error: the router made no delivery; see $REPORT_DIR/router.log" >&2; exit 1; }

# Path parameters take a real id most of the time and a generated one otherwise, so both the
# found and the not-found branches of every route are exercised.
config="$work/schemathesis.toml"
cat >"$config" <<TOML
[dictionaries]
app = { values = ["$app_id"] }
subscription = { values = ["$sub_id"] }
endpoint = { values = ["$endpoint_id"] }
message = { values = ["$message_id"] }
delivery = { values = ["$delivery_id"] }
task = { values = ["$task_id"] }
api_key = { values = ["$key_id"] }
event_type_name = { values = ["user.created", "user.deleted"] }

[parameters]
"path.app_id" = { dictionary = "app", probability = 0.8 }
"path.subscription_id" = { dictionary = "subscription", probability = 0.8 }
"path.endpoint_id" = { dictionary = "endpoint", probability = 0.8 }
"path.message_id" = { dictionary = "message", probability = 0.8 }
"path.delivery_id" = { dictionary = "delivery", probability = 0.8 }
"path.task_id" = { dictionary = "task", probability = 0.8 }
"path.id" = { dictionary = "api_key", probability = 0.5 }
"path.name" = { dictionary = "event_type_name", probability = 0.6 }
"body.event_type" = { dictionary = "event_type_name", probability = 0.5 }
"body.event_types[*]" = { dictionary = "event_type_name", probability = 0.5 }
TOML

# --- schemathesis ---------------------------------------------------------------------------------
# Two runs: every operation but the four DELETEs that remove the data above, then those four
# (schemathesis also reuses ids that earlier answers showed it, and would delete the app early).
destructive='^DELETE /api/v1/(apps/\{app_id\}(/event_types/\{name\})?|subscriptions/\{subscription_id\}(/endpoints/\{endpoint_id\})?)$'
seed="${FUZZ_SEED:-$RANDOM$RANDOM}"
st_run() { # seconds, then filter options
  local seconds=$1
  shift
  # From the report directory: schemathesis keeps its example database (.schemathesis/) there.
  # In the background, so that a signal to this script is handled at once (`wait` returns).
  (cd "$REPORT_DIR" && exec timeout --kill-after=10 $((seconds + 60)) "${ST[@]}" --config-file "$config" run \
    "$BASE/api/v1/openapi.json" \
    --url "$BASE" \
    --header "Authorization: Bearer $KEY" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "$MAX_EXAMPLES" \
    --max-time "$seconds" \
    --workers "$WORKERS" \
    --seed "$seed" \
    --request-timeout 10 \
    --max-redirects 0 \
    --report har,junit \
    --report-dir "$REPORT_DIR/report" \
    --no-color \
    "$@") &
  local pid=$!
  pids+=("$pid")
  wait "$pid"
}
say "schemathesis $wanted: $MAX_EXAMPLES examples per operation and phase, at most ${MAX_TIME}s, seed $seed"
set +e
st_run $((MAX_TIME * 9 / 10)) --exclude-name-regex "$destructive"
st_rc=$?
say "schemathesis, the DELETE routes of apps, event types, subscriptions and endpoints"
st_run $((MAX_TIME / 10)) --include-name-regex "$destructive"
st_rc2=$?
set -e
[ "$st_rc" -eq 0 ] && st_rc=$st_rc2

# --- summary --------------------------------------------------------------------------------------
summary=$(python3 - "$REPORT_DIR/report" <<'PY'
import glob, json, sys, xml.etree.ElementTree as ET
from collections import Counter
from urllib.parse import urlsplit
d = sys.argv[1]
entries = []
for path in glob.glob(f"{d}/har-*.json"):
    with open(path) as f:
        entries += json.load(f)["log"]["entries"]
status = Counter(e["response"]["status"] for e in entries)
hosts = Counter(urlsplit(e["request"]["url"]).netloc for e in entries)
ops = Counter()
for e in entries:
    ops[e["request"]["method"]] += 1
failures = 0
cases = 0
for path in glob.glob(f"{d}/junit-*.xml"):
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        cases += 1
        failures += len(case.findall("failure")) + len(case.findall("error"))
server_errors = sum(n for s, n in status.items() if s >= 500)
print(f"requests made:        {len(entries)}")
print(f"operations tested:    {cases}")
print(f"operations failing:   {failures}")
print(f"5xx answers:          {server_errors}")
print("statuses:             " + ", ".join(f"{s}: {n}" for s, n in sorted(status.items())))
print("methods:              " + ", ".join(f"{m}: {n}" for m, n in sorted(ops.items())))
print("hosts:                " + ", ".join(f"{h}: {n}" for h, n in sorted(hosts.items())))
PY
) || summary="(no report: schemathesis exited with $st_rc before writing one)"
echo
echo "== fuzz summary =="
echo "schemathesis:         $wanted (seed $seed, max examples $MAX_EXAMPLES, workers $WORKERS)"
echo "delivery worker:      $delivery"
echo "$summary"
echo "reports:              $REPORT_DIR/report (HAR of every request, JUnit), service logs in $REPORT_DIR"
if [ "$st_rc" -ne 0 ]; then
  echo "result:               FAILED (schemathesis exit code $st_rc)"
  exit 1
fi
echo "result:               passed"

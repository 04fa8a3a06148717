#!/usr/bin/env bash
# `make run`: the three services, each its own process, on the local profile. Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
export HOOKD_PROFILE="${HOOKD_PROFILE:-local}"
bin="${CARGO_TARGET_DIR:-target}/release"
"$bin/hookd" migrate
pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "stopping hookd..."
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT
for svc in ingest router delivery; do
  "$bin/hookd-$svc" &
  pids+=("$!")
done
listen="${HOOKD__INGEST__LISTEN:-127.0.0.1:8080}"
for _ in $(seq 1 50); do
  curl -fsS "http://$listen/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
cat <<MSG

  hookd is running (profile: $HOOKD_PROFILE)
    API            http://$listen/api/v1   (OpenAPI: http://$listen/api/v1/openapi.json)
    bootstrap key  ${HOOKD__AUTH__BOOTSTRAP_API_KEY:-hookd_dev_key}   (the local profile's documented key)
    router         http://127.0.0.1:8081/metrics    delivery  http://127.0.0.1:8082/metrics
  Press Ctrl-C to stop.

MSG
wait -n "${pids[@]}"

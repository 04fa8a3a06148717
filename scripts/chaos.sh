#!/usr/bin/env bash
# `make chaos`: builds release binaries, then runs hookd-chaos (kills each service, restarts
# RabbitMQ and crashes PostgreSQL under steady load; fails on a loss or a service that does
# not recover) and writes the result into RELIABILITY.md.
# It restarts the local broker and database: do not run it on a machine that serves anything
# else. HOOKD_CHAOS_SERVICES_ONLY=1 kills only hookd's own services.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-services.sh
cargo build --release -p hookd -p hookd-ingest -p hookd-router -p hookd-delivery -p hookd-chaos
out=$(mktemp)
status=0
bin="${CARGO_TARGET_DIR:-target}/release"
"$bin/hookd-chaos" "$bin" | tee "$out" || status=$?
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
{
  echo "# Reliability"
  echo
  echo "\`make chaos\` (scripts/chaos.sh → \`hookd-chaos\`): under a steady 100 msg/s for 75 s to one"
  echo "endpoint, and beside it 100 inbound requests/s to a gateway source with one connection, SIGKILL ingest, router and delivery in turn (each restarted after 1 s), stop and"
  echo "start RabbitMQ, crash PostgreSQL (stop in immediate mode, start); then wait until every accepted (202) message arrived and"
  echo "count. Sends refused during an outage (5xx or no connection) were never accepted and are"
  echo "counted apart. \`recovery_s\` is the time from the event until deliveries flowed again."
  echo "\`gateway\` counts the inbound side apart: lost by request id (the 200's \`request_id\`"
  echo "against \`x-hookdeck-requestid\`), duplicates by \`x-hookdeck-eventid\`; a loss fails the run."
  echo
  echo "- Date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- Machine: $(nproc) cores ($cpu), $(free -g | awk '/Mem:/{print $2}') GiB memory; PostgreSQL, RabbitMQ and hookd on the same box"
  echo "- Command: \`make chaos\`"
  echo "- Exit status: $status"
  echo
  echo '```json'
  cat "$out"
  echo '```'
} > RELIABILITY.md
rm -f "$out"
exit "$status"

#!/usr/bin/env bash
# `make chaos`: builds release binaries, then runs hookd-chaos (kills each service, restarts
# RabbitMQ and crashes PostgreSQL under steady load; fails on a loss or a service that does
# not recover, or on duplicates above 0.1%) and writes the result into its section of RELIABILITY.md.
# It restarts the local broker and database: do not run it on a machine that serves anything
# else. HOOKD_CHAOS_SERVICES_ONLY=1 kills only hookd's own services.
#
# `make chaos-cluster` (scripts/chaos.sh --cluster): hookd-chaos --cluster starts a 3-node
# RabbitMQ cluster of its own (nodes hookd-chaos-{1,2,3}@localhost, AMQP 127.0.0.1:5681-5683,
# distribution 25681-25683, data under target/chaos-cluster; the machine's broker on 5672 is
# left alone) and two replicas of each service on it, kills one replica of each and one node
# under load; fails on a loss or duplicates above 0.1%. The nodes are stopped at the end, also
# when the run fails or is interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=chaos
if [ "${1:-}" = "--cluster" ]; then mode=chaos-cluster; fi
scripts/ensure-services.sh
cargo build --release -p hookd -p hookd-ingest -p hookd-router -p hookd-delivery -p hookd-chaos
bin="${CARGO_TARGET_DIR:-target}/release"
out=$(mktemp)
status=0
if [ "$mode" = chaos-cluster ]; then
  # hookd-chaos stops its nodes itself; this covers a run killed before it could.
  trap '"$bin/hookd-chaos" --stop-cluster "$bin"; rm -f "$out"' EXIT
  "$bin/hookd-chaos" --cluster "$bin" | tee "$out" || status=$?
else
  trap 'rm -f "$out"' EXIT
  "$bin/hookd-chaos" "$bin" | tee "$out" || status=$?
fi
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')

section=$(mktemp)
{
  echo "<!-- $mode:begin (written by scripts/chaos.sh) -->"
  if [ "$mode" = chaos ]; then
    echo "## \`make chaos\`"
    echo
    echo "\`make chaos\` (scripts/chaos.sh → \`hookd-chaos\`): under a steady 100 msg/s for 75 s to one"
    echo "endpoint, and beside it 100 inbound requests/s to a gateway source with one connection, SIGKILL ingest, router and delivery in turn (each restarted after 1 s), stop and"
    echo "start RabbitMQ, crash PostgreSQL (stop in immediate mode, start); then wait until every accepted (202) message arrived and"
    echo "count. Sends refused during an outage (5xx or no connection) were never accepted and are"
    echo "counted apart. \`recovery_s\` is the time from the event until deliveries flowed again."
    echo "\`gateway\` counts the inbound side apart: lost by request id (the 200's \`request_id\`"
    echo "against \`x-hookdeck-requestid\`), duplicates by \`x-hookdeck-eventid\`; a loss, or duplicates above 0.1% on either side, fails the run."
  else
    echo "## \`make chaos-cluster\`"
    echo
    echo "\`make chaos-cluster\` (scripts/chaos.sh --cluster → \`hookd-chaos --cluster\`): a 3-node RabbitMQ"
    echo "cluster of its own on this machine (nodes \`hookd-chaos-{1,2,3}@localhost\`, AMQP on 127.0.0.1:5681-5683,"
    echo "data under \`target/chaos-cluster\`; the machine's broker on 5672 is left alone), joined with"
    echo "\`rabbitmqctl join_cluster\`; hookd's queues are quorum queues with a member on each node"
    echo "(\`queues_before\`), and \`HOOKD__AMQP__URL\` names the three nodes. Two replicas of each service;"
    echo "the load goes round the two ingest replicas (a request that got no answer goes once to the"
    echo "other, as a load balancer would). Under 100 msg/s and 100 inbound requests/s for 75 s: SIGKILL"
    echo "the first replica of ingest, router and delivery in turn (each restarted 5 s later), then SIGKILL"
    echo "RabbitMQ node 1 (where every service had connected and the queues' leaders were), restarted"
    echo "10 s later. Counted as in \`make chaos\`; the run fails on a loss, a duplicate ratio above 0.1%"
    echo "on either side, a queue not on all three nodes (before) or not online on all three (after), or"
    echo "an event after which deliveries did not flow again within 120 s."
  fi
  echo
  echo "- Date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- Machine: $(nproc) cores ($cpu), $(free -g | awk '/Mem:/{print $2}') GiB memory; PostgreSQL, RabbitMQ and hookd on the same box"
  echo "- Command: \`make $mode\`"
  echo "- Exit status: $status"
  echo
  echo '```json'
  cat "$out"
  echo '```'
  echo "<!-- $mode:end -->"
} > "$section"

# Replace this mode's section of RELIABILITY.md (or add it); the other mode's stays.
doc=RELIABILITY.md
[ -f "$doc" ] || printf '# Reliability\n' > "$doc"
if grep -q "^<!-- $mode:begin" "$doc"; then
  awk -v mode="$mode" -v file="$section" '
    $0 ~ "^<!-- " mode ":begin" { while ((getline line < file) > 0) print line; skip = 1; next }
    $0 ~ "^<!-- " mode ":end" { skip = 0; next }
    !skip { print }' "$doc" > "$doc.new"
else
  { cat "$doc"; echo; cat "$section"; } > "$doc.new"
fi
mv "$doc.new" "$doc"
rm -f "$section"
exit "$status"

#!/usr/bin/env bash
# `make bench`: builds the release binaries, makes sure PostgreSQL and RabbitMQ run, runs the
# benchmark scenarios (L, S1..S5, S3F: S3 with endpoint filters, S2O: S2's load to a fifo
# endpoint beside an unordered one, S2OK: the same with the fifo endpoint keyed into 32 lanes,
# G1 and G2: the gateway's inbound, and C: the console's message log) against the real stack,
# prints one JSON object per scenario and writes the table into BENCHMARKS.md (between its
# bench markers; the prose stays).
#
# Arguments go to hookd-bench, e.g. `scripts/bench.sh --quick --only S1,S2` (see
# `target/release/hookd-bench --help`). The services' output and metrics go to target/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO="${CARGO:-cargo}"

"$CARGO" build --release -p hookd -p hookd-ingest -p hookd-router -p hookd-delivery -p hookd-bench
scripts/ensure-services.sh

command="make bench"
if (($#)); then command="scripts/bench.sh $*"; fi
bin="${CARGO_TARGET_DIR:-target}/release"
logs="${CARGO_TARGET_DIR:-target}/bench"
mkdir -p "$logs"
# hookd-bench stops the services it started on every exit (error, Ctrl-C, SIGTERM included).
"$bin/hookd-bench" --bin-dir "$bin" --log-dir "$logs" --write-md BENCHMARKS.md \
  --command "$command" "$@" | tee "$logs/results.jsonl"

#!/usr/bin/env bash
# Samples what PostgreSQL's backends of one database are doing, for profiling a benchmark run:
# every 0.1 s, one line per active backend: wait event type | wait event | statement (90 chars).
#   scripts/pg-activity-sample.sh DATABASE OUT_FILE [SECONDS, default 600]
# Then e.g. `cut -d'|' -f3 OUT_FILE | sort | uniq -c | sort -rn | head` (statements) or
# `cut -d'|' -f1,2 OUT_FILE | sort | uniq -c | sort -rn` (wait events; CPU = none).
# Reads pg_stat_activity only: no extension and no server restart needed.
set -euo pipefail
db="$1"; out="$2"; seconds="${3:-600}"
url="${HOOKD_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432}/postgres"
end=$((SECONDS + seconds))
: >"$out"
while ((SECONDS < end)); do
  psql "$url" -AtF'|' -c "SELECT coalesce(wait_event_type, 'CPU'), coalesce(wait_event, '-'),
      regexp_replace(left(query, 90), '\s+', ' ', 'g') FROM pg_stat_activity
      WHERE datname = '$db' AND state = 'active' AND pid <> pg_backend_pid()" >>"$out" 2>/dev/null || true
  sleep 0.1
done

#!/usr/bin/env bash
# Makes sure PostgreSQL and RabbitMQ are up and accept hookd's logins: starts them when they are
# installed but stopped, says how to get them when they are missing, and how to fix a login
# that fails. Honours the tests' HOOKD_TEST_DATABASE_URL / HOOKD_TEST_AMQP_URL (without them,
# the local defaults of DESIGN.md).
set -euo pipefail

PG_URL="${HOOKD_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432}"
AMQP_URL="${HOOKD_TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"

# host and port of a URL like scheme://user:pass@host:port/...
host_of() { local h="${1#*://}"; h="${h##*@}"; h="${h%%/*}"; echo "${h%%:*}"; }
port_of() { local h="${1#*://}"; h="${h##*@}"; h="${h%%/*}"; [[ "$h" == *:* ]] && echo "${h##*:}" || echo "$2"; }

PG_HOST=$(host_of "$PG_URL"); PG_PORT=$(port_of "$PG_URL" 5432)
MQ_HOST=$(host_of "$AMQP_URL"); MQ_PORT=$(port_of "$AMQP_URL" 5672)
is_local() { [[ "$1" == 127.* || "$1" == localhost ]]; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() { # host port name seconds
  for _ in $(seq 1 "$4"); do port_open "$1" "$2" && return 0; sleep 1; done
  echo "error: $3 did not start listening on $1:$2" >&2
  return 1
}

if ! port_open "$PG_HOST" "$PG_PORT"; then
  if is_local "$PG_HOST" && command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql >/dev/null 2>&1; then
    echo "starting PostgreSQL..."
    for v in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
    done
    wait_port "$PG_HOST" "$PG_PORT" PostgreSQL 30
  else
    echo "error: PostgreSQL does not answer on $PG_HOST:$PG_PORT. Install it (Debian: apt-get install" >&2
    echo "       postgresql) with trust auth for user postgres, or set HOOKD_TEST_DATABASE_URL." >&2
    exit 1
  fi
fi

if ! port_open "$MQ_HOST" "$MQ_PORT"; then
  if is_local "$MQ_HOST" && command -v rabbitmq-server >/dev/null 2>&1; then
    echo "starting RabbitMQ..."
    rabbitmq-server -detached || true
    wait_port "$MQ_HOST" "$MQ_PORT" RabbitMQ 90
  else
    echo "error: RabbitMQ does not answer on $MQ_HOST:$MQ_PORT. Install it (Debian: apt-get install" >&2
    echo "       rabbitmq-server) or set HOOKD_TEST_AMQP_URL to a reachable broker." >&2
    exit 1
  fi
fi

# An open port is not a working login: tests create databases, so check that too.
if command -v psql >/dev/null 2>&1; then
  if ! err=$(psql "${PG_URL%/}/postgres" -XAtqc 'SELECT 1' 2>&1 >/dev/null); then
    echo "error: PostgreSQL refused the login of ${PG_URL%%://*}://…@$PG_HOST:$PG_PORT: $err" >&2
    echo "       hookd's tests log in as user postgres without a password (trust auth in" >&2
    echo "       pg_hba.conf for 127.0.0.1), or set HOOKD_TEST_DATABASE_URL to a user that may" >&2
    echo "       create databases." >&2
    exit 1
  fi
fi
if is_local "$MQ_HOST" && command -v rabbitmqctl >/dev/null 2>&1; then
  creds="${AMQP_URL#*://}"; creds="${creds%%@*}"
  if [[ "$creds" == *:* ]] && ! rabbitmqctl -q authenticate_user "${creds%%:*}" "${creds#*:}" >/dev/null 2>&1; then
    echo "error: RabbitMQ refused the login of user '${creds%%:*}' on $MQ_HOST:$MQ_PORT." >&2
    echo "       hookd's tests use guest/guest from loopback, or set HOOKD_TEST_AMQP_URL." >&2
    exit 1
  fi
fi
echo "PostgreSQL and RabbitMQ are up and accept the logins."
# Their TLS listeners (for the TLS tests), with a CA generated here; idempotent. Only for the
# servers of this machine: a remote one is not reconfigured from here.
if is_local "$PG_HOST" && is_local "$MQ_HOST"; then
  "$(dirname "$0")/ensure-tls.sh"
fi

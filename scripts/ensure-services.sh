#!/usr/bin/env bash
# Makes sure PostgreSQL and RabbitMQ answer on their local ports: starts them when they are
# installed but stopped, and says how to get them when they are missing.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port name seconds
  for _ in $(seq 1 "$3"); do port_open "$1" && return 0; sleep 1; done
  echo "error: $2 did not start listening on 127.0.0.1:$1" >&2
  return 1
}

if ! port_open 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql >/dev/null 2>&1; then
    echo "starting PostgreSQL..."
    for v in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
    done
    wait_port 5432 PostgreSQL 30
  else
    echo "error: PostgreSQL is not installed. Install it (Debian: apt-get install postgresql)" >&2
    echo "       and allow local trust auth for user postgres, or set HOOKD__DATABASE__URL." >&2
    exit 1
  fi
fi

if ! port_open 5672; then
  if command -v rabbitmq-server >/dev/null 2>&1; then
    echo "starting RabbitMQ..."
    rabbitmq-server -detached || true
    wait_port 5672 RabbitMQ 90
  else
    echo "error: RabbitMQ is not installed. Install it (Debian: apt-get install rabbitmq-server)" >&2
    echo "       or set HOOKD__AMQP__URL to a reachable broker." >&2
    exit 1
  fi
fi
echo "PostgreSQL and RabbitMQ are up."
# Their TLS listeners (for the TLS tests), with a CA generated here; idempotent.
"$(dirname "$0")/ensure-tls.sh"

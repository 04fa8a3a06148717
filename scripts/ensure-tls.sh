#!/usr/bin/env bash
# TLS listeners on the local PostgreSQL and RabbitMQ for the TLS tests (issue 14), with a CA this
# script generates. Idempotent and cheap when already done; the plain listeners are untouched.
#   - $HOOKD_TEST_TLS_DIR (default /var/lib/hookd-test-tls): ca.pem, server.pem (for 127.0.0.1
#     and localhost, signed by ca.pem), server.key; regenerated when missing or expiring.
#   - PostgreSQL: ssl_cert_file/ssl_key_file point at them (ALTER SYSTEM + reload, no restart).
#     One port serves both: clients that do not ask for TLS are not affected.
#   - RabbitMQ: an amqps listener on 127.0.0.1:5671, started in the running node
#     (rabbit_networking:start_ssl_listener): no restart, and nothing written to rabbitmq.conf,
#     so a missing certificate can never keep the broker from booting. After a broker restart
#     the next run of this script starts it again.
set -euo pipefail

DIR="${HOOKD_TEST_TLS_DIR:-/var/lib/hookd-test-tls}"
PG_URL="${HOOKD_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432}/postgres"
AMQPS_PORT=5671

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [ "$(id -u)" != 0 ]; then
  echo "ensure-tls: needs root (to hand the key to the postgres and rabbitmq users); skipped" >&2
  echo "            the TLS tests will fail: run scripts/ensure-tls.sh as root" >&2
  exit 0
fi

# 1. The CA and the server certificate.
if ! [ -s "$DIR/ca.pem" ] || ! [ -s "$DIR/server.key" ] ||
   ! openssl x509 -in "$DIR/server.pem" -noout -checkend 86400 >/dev/null 2>&1; then
  echo "ensure-tls: generating a test CA and server certificate in $DIR"
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=hookd test CA" \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' \
    >"$tmp/ext.cnf"
  openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
    -CAcreateserial -days 825 -extfile "$tmp/ext.cnf" -out "$tmp/server.pem" 2>/dev/null
  install -m 0644 "$tmp/ca.pem" "$DIR/ca.pem"
  install -m 0644 "$tmp/server.pem" "$DIR/server.pem"
  install -m 0600 "$tmp/server.key" "$DIR/server.key"
  # Each server reads its own copy of the key (PostgreSQL insists on owner-only permissions).
  rm -f "$DIR/postgres.key" "$DIR/rabbitmq.key"
  FORCE_RELOAD=1
fi
for user in postgres rabbitmq; do
  if id "$user" >/dev/null 2>&1 && ! [ -s "$DIR/$user.key" ]; then
    install -m 0600 -o "$user" "$DIR/server.key" "$DIR/$user.key"
  fi
done

# 2. PostgreSQL: serve that certificate.
pg() { psql "$PG_URL" -v ON_ERROR_STOP=1 -qAtc "$1"; }
if [ "$(pg 'SHOW ssl_cert_file')" != "$DIR/server.pem" ] || [ "$(pg 'SHOW ssl')" != on ] ||
   [ -n "${FORCE_RELOAD:-}" ]; then
  echo "ensure-tls: PostgreSQL serves $DIR/server.pem"
  pg "ALTER SYSTEM SET ssl_cert_file = '$DIR/server.pem'"
  pg "ALTER SYSTEM SET ssl_key_file = '$DIR/postgres.key'"
  pg "ALTER SYSTEM SET ssl = on"
  pg "SELECT pg_reload_conf()" >/dev/null
  for _ in $(seq 1 50); do
    [ "$(pg 'SHOW ssl_cert_file')" = "$DIR/server.pem" ] && break
    sleep 0.1
  done
fi

# 3. RabbitMQ: an amqps listener in the running node.
if [ -n "${FORCE_RELOAD:-}" ] && port_open "$AMQPS_PORT"; then
  rabbitmqctl -q eval "rabbit_networking:stop_tcp_listener({\"127.0.0.1\", $AMQPS_PORT})." >/dev/null
fi
if ! port_open "$AMQPS_PORT"; then
  echo "ensure-tls: RabbitMQ listens for amqps on 127.0.0.1:$AMQPS_PORT"
  rabbitmqctl -q eval "
    {ok, _} = application:ensure_all_started(ssl),
    ok = rabbit_networking:start_ssl_listener({\"127.0.0.1\", $AMQPS_PORT},
      [{cacertfile, \"$DIR/ca.pem\"}, {certfile, \"$DIR/server.pem\"},
       {keyfile, \"$DIR/rabbitmq.key\"}, {verify, verify_none},
       {fail_if_no_peer_cert, false}], 1)." >/dev/null
  for _ in $(seq 1 50); do port_open "$AMQPS_PORT" && break; sleep 0.1; done
  port_open "$AMQPS_PORT" || { echo "error: no amqps listener on $AMQPS_PORT" >&2; exit 1; }
fi
echo "TLS listeners are up (CA: $DIR/ca.pem)."

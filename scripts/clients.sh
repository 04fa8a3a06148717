#!/usr/bin/env bash
# `make clients` (part of `make test`): the served OpenAPI document, checked the way its users'
# tools read it.
#
# 1. starts `hookd all-in-one` with a fresh database and broker prefix (scripts/stack.sh);
# 2. fetches /api/v1/openapi.json and validates it with openapi-spec-validator;
# 3. generates a Python client from it with openapi-python-client (target/clients/);
# 4. runs tests/clients/test_generated_client.py: the generated client creates an app, an
#    event type, a subscription and an endpoint (a receiver in the test) and sends a message,
#    which must arrive there signed.
# The Python tools are pinned in tests/clients/requirements.txt, in a virtual environment under
# target/ (scripts/python-venv). hookd's log: target/clients-hookd.log.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '==> %s\n' "$*"; }

python=$(scripts/python-venv target/clients-venv tests/clients/requirements.txt)
venv_bin=$(cd "$(dirname "$python")" && pwd)

# shellcheck source=scripts/stack.sh
source scripts/stack.sh
stack_start clients

out=target/clients
rm -rf "$out"
mkdir -p "$out"
curl -fsS "$STACK_BASE/api/v1/openapi.json" -o "$out/openapi.json"

say "openapi-spec-validator $("$python" -c 'import importlib.metadata as m; print(m.version("openapi-spec-validator"))')"
"$venv_bin/openapi-spec-validator" "$out/openapi.json"

say "openapi-python-client $("$python" -c 'import importlib.metadata as m; print(m.version("openapi-python-client"))')"
generator_config="$PWD/tests/clients/generator.yml"
# --fail-on-warning: a route the generator would skip (an unsupported schema) fails the check.
(cd "$out" && PATH="$venv_bin:$PATH" "$venv_bin/openapi-python-client" generate --path openapi.json \
  --config "$generator_config" --meta none --output-path hookd_client --fail-on-warning)

say "the generated client against the running stack"
PYTHONPATH="$out" HOOKD_CLIENTS_BASE="$STACK_BASE" HOOKD_CLIENTS_KEY="$STACK_KEY" \
  "$python" -m unittest -v tests/clients/test_generated_client.py

#!/usr/bin/env bash
# `make e2e` (part of `make test`): the browser tests of the console and portal (tests/e2e).
#
# Installs what they need when missing, and is quick when it is there already:
# - Debian's chromium (/usr/bin/chromium), through apt-get;
# - a Python venv in target/e2e-venv with tests/e2e/requirements.txt (reinstalled only when
#   that file changes). `playwright install` is never run: the tests launch /usr/bin/chromium.
# Then builds the `hookd` binary and runs pytest; tests/e2e/conftest.py starts `hookd
# all-in-one` on free ports with a fresh database and broker prefix, and removes both after.
# Screenshots of every page land in target/e2e-screenshots/. Arguments (test files, -k ...) go to pytest instead of tests/e2e.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
say() { printf '==> %s\n' "$*"; }

if [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get install -y chromium >/dev/null || {
    $sudo apt-get update >/dev/null && $sudo apt-get install -y chromium >/dev/null
  }
fi

venv="$root/target/e2e-venv"
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s tests/e2e/requirements.txt "$stamp"; then
  say "installing the browser test packages into target/e2e-venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/e2e/requirements.txt
  cp tests/e2e/requirements.txt "$stamp"
fi

scripts/ensure-services.sh
say "building hookd"
cargo build --quiet -p hookd
export HOOKD_E2E_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/hookd"
mkdir -p target/e2e-screenshots
say "browser tests"
[ $# -gt 0 ] || set -- tests/e2e
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"

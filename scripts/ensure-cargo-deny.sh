#!/usr/bin/env bash
# Installs cargo-deny (used by `make deny`) from crates.io when it is not on PATH yet.
# The version is pinned so every machine checks with the same rules.
set -euo pipefail
VERSION=0.20.2
CARGO="${CARGO:-cargo}"
if "$CARGO" deny --version 2>/dev/null | grep -q "cargo-deny $VERSION"; then
  exit 0
fi
echo "installing cargo-deny $VERSION (once per machine)..." >&2
# Its own target dir, so the workspace's build cache is left alone.
CARGO_TARGET_DIR="${TMPDIR:-/tmp}/cargo-deny-build" \
  nice -n 10 "$CARGO" install --locked --quiet --version "$VERSION" cargo-deny

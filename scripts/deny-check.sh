#!/usr/bin/env bash
# `make deny` (part of `make test`): the dependency policy in deny.toml and the declared
# rust-version. Works offline: cargo-deny's advisories check (which fetches a database) is not run.
#  1. cargo deny check bans licenses sources (cargo-deny installed by ensure-cargo-deny.sh).
#  2. workspace.package.rust-version is at least what every locked dependency declares and at
#     most the toolchain that builds and tests the workspace here, so the claim is true.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO="${CARGO:-cargo}"

scripts/ensure-cargo-deny.sh
# cargo-deny reads the metadata of every platform's dependencies (wasm, android, windows ...),
# which a build on this host never downloads: fetch them once (a no-op when cached).
"$CARGO" fetch --locked --quiet
"$CARGO" deny --offline --log-level error check bans licenses sources

"$CARGO" metadata --format-version 1 --locked --offline >"${TMPDIR:-/tmp}/hookd-metadata.json"
rustc_version="$(rustc --version | awk '{print $2}')"
python3 - "${TMPDIR:-/tmp}/hookd-metadata.json" "$rustc_version" <<'PY'
import json, re, sys
from pathlib import Path

meta = json.loads(Path(sys.argv[1]).read_text())
rustc = sys.argv[2]

def ver(v):
    parts = [int(x) for x in re.findall(r"\d+", v)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))

members = set(meta["workspace_members"])
declared = {p["rust_version"] for p in meta["packages"] if p["id"] in members}
if len(declared) != 1 or None in declared:
    sys.exit(f"rust-version: every workspace crate must inherit one rust-version, got {declared}")
declared = declared.pop()
needs = max((p for p in meta["packages"] if p["id"] not in members and p.get("rust_version")),
            key=lambda p: ver(p["rust_version"]))
problems = []
if ver(declared) < ver(needs["rust_version"]):
    problems.append(f"declared rust-version {declared} is below {needs['name']} "
                    f"{needs['version']}'s {needs['rust_version']}")
if ver(declared) > ver(rustc):
    problems.append(f"declared rust-version {declared} is above the toolchain here ({rustc})")
if problems:
    sys.exit("rust-version: " + "; ".join(problems))
print(f"rust-version {declared}: dependencies need {needs['rust_version']} "
      f"({needs['name']} {needs['version']}), toolchain {rustc}")
PY
echo "deny: bans, licenses, sources and rust-version ok"

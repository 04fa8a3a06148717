# hookd: `make run` starts the platform on the local services, `make test` runs every test.
SHELL := /bin/bash
CARGO ?= cargo
NEXTEST := $(shell $(CARGO) nextest --version >/dev/null 2>&1 && echo yes)

.PHONY: run test services build release lint fmt unit deploy-check deny e2e sdk bench chaos chaos-cluster fuzz

run: services release
	@scripts/run.sh

release:
	$(CARGO) build --release -p hookd -p hookd-ingest -p hookd-router -p hookd-delivery

build:
	$(CARGO) build --workspace --all-targets

services:
	@scripts/ensure-services.sh

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test: services lint deny unit deploy-check e2e sdk

# cargo deny check bans licenses sources (deny.toml, offline) and the declared rust-version;
# installs cargo-deny on first use (scripts/ensure-cargo-deny.sh).
deny:
	scripts/deny-check.sh

deploy-check:
	scripts/deploy-check

# Browser tests of the console and portal (Playwright on Debian's chromium; see scripts/e2e.sh).
e2e: services
	scripts/e2e.sh

# Contract tests of the gateway API with Hookdeck's TypeScript SDK (tests/sdk; scripts/sdk-contract.sh).
sdk: services
	scripts/sdk-contract.sh

unit:
ifeq ($(NEXTEST),yes)
	$(CARGO) nextest run --workspace --no-fail-fast
else
	$(CARGO) test --workspace --no-fail-fast
endif

# Restarts the local RabbitMQ and PostgreSQL: see scripts/chaos.sh.
chaos: services
	scripts/chaos.sh

# A 3-node RabbitMQ cluster of its own (ports 5681-5683, data in target/chaos-cluster) and two
# replicas of each service; one node and one replica of each killed under load: scripts/chaos.sh.
chaos-cluster: services
	scripts/chaos.sh --cluster

# The benchmark suite on the real stack; writes BENCHMARKS.md (scripts/bench.sh --quick for a short run).
bench: services
	scripts/bench.sh

# schemathesis against the served OpenAPI document (scripts/fuzz.sh; results in FUZZ.md).
fuzz:
	@scripts/fuzz.sh

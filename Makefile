# Opsflow: one entry point for people and CI. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# What `make deploy` must not inherit from the lines below: the emulators'
# endpoints always, and the dummy credentials and region when they are the
# ones set here (read before they are set; yours are kept).
DEPLOY_UNSET := AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_DYNAMODB_STREAMS AWS_ENDPOINT_URL_SQS \
	AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_SESV2
ifeq ($(origin AWS_ACCESS_KEY_ID),undefined)
DEPLOY_UNSET += AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
endif
ifeq ($(origin AWS_REGION),undefined)
DEPLOY_UNSET += AWS_REGION AWS_DEFAULT_REGION
endif

# Local AWS endpoints (DynamoDB Local and moto), dummy credentials, region.
DYNAMODB_PORT ?= 8000
MOTO_PORT ?= 5000
export AWS_ENDPOINT_URL_DYNAMODB ?= http://127.0.0.1:$(DYNAMODB_PORT)
export AWS_ENDPOINT_URL_DYNAMODB_STREAMS ?= http://127.0.0.1:$(DYNAMODB_PORT)
export AWS_ENDPOINT_URL_SQS ?= http://127.0.0.1:$(MOTO_PORT)
export AWS_ENDPOINT_URL_S3 ?= http://127.0.0.1:$(MOTO_PORT)
export AWS_ENDPOINT_URL_SESV2 ?= http://127.0.0.1:$(MOTO_PORT)
export AWS_ACCESS_KEY_ID ?= local
export AWS_SECRET_ACCESS_KEY ?= local
export AWS_REGION ?= us-east-1
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
export DYNAMODB_PORT MOTO_PORT

# Every build made here compiles the workspace's own crates through clippy's
# driver with warnings denied, as `cargo clippy -- -D warnings` checks them:
# the build `make lint` checks is the build `make test` runs, so each crate
# is compiled once (`cargo clippy` would compile every dependency a second
# time, for metadata only). Dependencies are built by plain rustc.
CLIPPY_DRIVER := $(shell rustc --print sysroot 2>/dev/null)/bin/clippy-driver
export RUSTC_WORKSPACE_WRAPPER := $(CLIPPY_DRIVER)
export CLIPPY_ARGS := -D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__
# A build from scratch (CI) gains nothing from incremental compilation's
# bookkeeping, and without it and line tables its own crates build in about
# a quarter less time (a failing test still names its file and line).
ifeq ($(CI),true)
export CARGO_INCREMENTAL ?= 0
export CARGO_PROFILE_DEV_DEBUG ?= false
endif
# `make bench QUICK=1`: fewer invocations per scenario, results beside the
# build instead of over the committed ones.
BENCH_ARGS := $(if $(QUICK),--cold-starts 2 --warm 30 --load-requests 100 --lag-samples 10 --output target/bench-quick.md)
# Release builds are measured and shipped, and the arm64 check builds for
# another target: plain rustc (an empty wrapper is none).
bench sam-build deploy arm64-check: RUSTC_WORKSPACE_WRAPPER :=
# The samconfig.toml environment `sam-build` and `deploy` use: default
# (dev), staging or prod. Its Architecture (arm64) drives build and stack.
# Only `make … ENV=…` sets it: an ENV the shell exports (sh's startup file)
# never picks where a deploy goes.
ifneq ($(origin ENV),command line)
ENV := default
endif

VENV := .venv
SAM := $(VENV)/bin/sam
CLIENT := clients/typescript
CLIENT_BIN := $(CLIENT)/node_modules/.bin
# An object schema without properties (a free-form payload) is
# `Record<string, unknown>`, not openapi-typescript's default `Record<string, never>`.
CLIENT_FLAGS := --empty-objects-unknown
# `make fuzz`: schemathesis options added to the contract test's bounded CI
# run (later options win).
FUZZ_ARGS ?= --max-examples 100 --phases examples,coverage,fuzzing,stateful

.PHONY: help setup lint-tools emulators emulators-stop build dev test lint fmt bench sam-build clean \
	openapi client client-tools client-check fuzz deploy arm64-check sam-env

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

setup: ## Install the local tooling (Python venv with moto and SAM CLI, DynamoDB Local)
	@bash infra/local/setup.sh

lint-tools: ## Install what `make lint` needs beside the local tooling (the TypeScript client's tooling)
	@bash infra/local/setup.sh --lint

emulators: setup ## Start DynamoDB Local and moto on loopback (safe to run twice)
	@bash infra/local/emulators.sh start

emulators-stop: ## Stop the emulators started by `make emulators`
	@bash infra/local/emulators.sh stop

build: ## Build every crate (debug)
	cargo build --workspace

dev: emulators ## Run the whole platform locally with demo data
	cargo build --workspace --bins
	cargo run --quiet -p opsflow-local -- serve --seed

test: emulators ## Run every test (unit, handler and integration) against the emulators
	# Every target at once: the function binaries the local runtime's tests
	# start are built with the same features as the tests, so nothing is
	# compiled twice.
	cargo build --workspace --all-targets
	# The test binaries as `cargo test --workspace` builds them, one per core
	# at a time, four tests at a time in each (OPSFLOW_TEST_JOBS and
	# RUST_TEST_THREADS override them): a test mostly waits on the emulators.
	python3 infra/local/run_tests.py

lint: lint-tools ## Format check, clippy with warnings denied, unused or misplaced dependencies, SAM template lint, TypeScript client check
	cargo fmt --all -- --check
	@test -x "$(CLIPPY_DRIVER)" || { echo "clippy-driver not found: rustup component add clippy" >&2; exit 1; }
	# clippy on every target, warnings denied (see RUSTC_WORKSPACE_WRAPPER above)
	cargo build --workspace --all-targets
	$(VENV)/bin/cargo-shear
	$(SAM) validate --lint --template-file template.yaml
	$(VENV)/bin/python infra/local/check_samconfig.py .
	$(VENV)/bin/cfn-lint infra/pipeline/deploy-roles.yaml
	$(VENV)/bin/python infra/pipeline/check_pipeline.py
	$(MAKE) --no-print-directory client-check
	$(MAKE) --no-print-directory arm64-check

openapi: ## Regenerate docs/openapi.json from the code (commit it)
	cargo run -q -p opsflow-openapi

client-tools: ## Install the TypeScript client's tooling (npm ci in clients/typescript)
	@bash infra/local/setup.sh --client

client: client-tools ## Generate the TypeScript client's types from docs/openapi.json (commit them)
	$(CLIENT_BIN)/openapi-typescript docs/openapi.json $(CLIENT_FLAGS) --output $(CLIENT)/src/schema.d.ts
	$(CLIENT_BIN)/tsc --noEmit -p $(CLIENT)

client-check: client-tools ## Fail if the TypeScript client's types are stale or it does not type-check
	@$(CLIENT_BIN)/openapi-typescript docs/openapi.json $(CLIENT_FLAGS) --output $(CLIENT)/src/schema.d.ts --check \
		|| { echo "$(CLIENT)/src/schema.d.ts is stale: run \`make client\` and commit it" >&2; exit 1; }
	$(CLIENT_BIN)/tsc --noEmit -p $(CLIENT)

fuzz: emulators ## Contract fuzzing at length: many examples per operation and stateful sequences (FUZZ_ARGS)
	cargo build --workspace --all-targets
	OPSFLOW_CONTRACT_ARGS="$(FUZZ_ARGS)" cargo test --workspace --test contract -- --nocapture

fmt: ## Format the code
	cargo fmt --all

bench: emulators ## Benchmark every function through the local runtime (release build); writes bench/RESULTS.md (QUICK=1: a short run, to target/bench-quick.md)
	# Without opsflow-openapi, whose `openapi` features would reach the functions.
	cargo build --release --workspace --bins --exclude opsflow-openapi
	cargo run --release --quiet -p opsflow-local -- bench --binaries target/release --quiet $(BENCH_ARGS)

load: emulators ## File requests from many clients through a locally served platform (the `make dev` build): throughput, latency, pipeline lag (CLIENTS=8 REQUESTS=400)
	cargo build --workspace --bins
	cargo run --quiet -p opsflow-local -- load --quiet --clients $(or $(CLIENTS),8) --requests $(or $(REQUESTS),400)

sam-env: emulators ## Write .local/sam-env.json, the env-vars file samconfig.toml gives `sam local invoke`/`start-api` (ENDPOINT_HOST=host.docker.internal for Docker Desktop)
	cargo run --quiet -p opsflow-local -- sam-env $(if $(ENDPOINT_HOST),--endpoint-host $(ENDPOINT_HOST))

sam-build: setup ## Build every function for Lambda with `sam build`, as samconfig.toml's ENV says (arm64 by default)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(SAM) build --config-env $(ENV)

deploy: setup ## Build and deploy the samconfig.toml environment ENV=default|staging|prod, with your AWS credentials (never the emulators')
	env $(addprefix -u ,$(DEPLOY_UNSET)) PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(SAM) build --config-env $(ENV)
	env $(addprefix -u ,$(DEPLOY_UNSET)) PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(SAM) deploy --config-env $(ENV)

arm64-check: setup ## Prove an arm64 Lambda build works here: the health function, cross-compiled by cargo-lambda with the pinned Zig
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" cargo lambda build --arm64 --bin health
	@python3 infra/local/elf_machine.py target/lambda/health/bootstrap aarch64

clean: emulators-stop ## Stop the emulators and remove build output
	cargo clean
	rm -rf .aws-sam

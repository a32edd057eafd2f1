# Everyday commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= uv
INFRA := scripts/infra/infra.sh
PYTEST_ARGS ?=
SERVICES := auth catalog inventory analytics moysklad-connector bitrix24-connector

export UV_LINK_MODE ?= copy

.PHONY: help install infra-up infra-down infra-status migrate topics dev test test-slow test-all check lint format \
        typecheck imports asyncapi bench bench-quick mutation clean console

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

install: ## Install Python, uv and every package of the workspace (one lock file)
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet uv
	$(UV) sync
	@# Bytecode ahead of time: with PYTHONDONTWRITEBYTECODE set (as on CI machines) every process start would compile
	@# every module again (about half a service's import time); compileall only rewrites what is out of date.
	@.venv/bin/python -m compileall -q -j0 $$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') libs services tools bench scripts >/dev/null

infra-up: ## Start (or reuse) Kafka, PostgreSQL and Redis on 127.0.0.1, data in .local/
	$(INFRA) up

infra-down: ## Stop the infrastructure this project started (data is kept)
	$(INFRA) down

infra-status: ## Show what runs where
	$(INFRA) status

migrate: install infra-up ## Apply every service's migrations to the development database
	@eval "$$($(INFRA) env)"; for s in $(SERVICES); do echo "== $$s"; $(UV) run crm-$$s migrate || exit 1; done

topics: install infra-up ## Create the Kafka topics of the event contract
	@eval "$$($(INFRA) env)"; $(UV) run python -m crm_common.messaging.topics_cli

dev: install console ## Run the whole system with demo data (Ctrl-C stops everything it started)
	$(UV) run python scripts/dev.py

test: install infra-up check console ## Lint, type-check, then every test but the slow tier, on real Kafka, PostgreSQL, Redis
	@eval "$$($(INFRA) env)"; $(UV) run python scripts/run_tests.py $(SUITES) -- -m "not slow" $(PYTEST_ARGS)

test-slow: install infra-up ## The slow tier: failure injection, fuzzing, the official-OpenAPI conformance of the simulator
	@eval "$$($(INFRA) env)"; $(UV) run python scripts/run_tests.py $(SUITES) -- -m slow $(PYTEST_ARGS)

test-all: test test-slow ## Both tiers, as CI runs them

check: lint typecheck imports ## Static checks: ruff, mypy, import contracts

lint: ## ruff lint and format check
	$(UV) run ruff check .
	$(UV) run ruff format --check .

format: ## Format and auto-fix with ruff
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

typecheck: ## mypy over every package's sources
	$(UV) run mypy libs/common/src libs/integration-kit/src libs/testing/src services/*/src tools/moysklad-simulator/src tools/bitrix24-simulator/src

imports: ## Services never import each other (import-linter)
	$(UV) run lint-imports

asyncapi: ## Regenerate the event contract document docs/events/asyncapi.json
	$(UV) run python -m crm_common.events.asyncapi > docs/events/asyncapi.json

bench: install infra-up ## Run every benchmark, one table, each figure next to a baseline measured in the same run
	@eval "$$($(INFRA) env)"; $(UV) run python bench/run_all.py

bench-quick: install infra-up ## The same table at small scales (about 5 minutes)
	@eval "$$($(INFRA) env)"; $(UV) run python bench/run_all.py --quick

bench-scale: install infra-up ## A real-sized shop end to end (SCALE=large, rate limits on; tens of minutes): sync vs its rate-limit floor, drain tails, RSS, answers checked; consumer throughput
	@eval "$$($(INFRA) env)"; $(UV) run python bench/run_all.py --scale $(or $(SCALE),large)

mutation: install infra-up ## Mutation testing of money, Moscow time, versioned writes, JWT, revocation (mutmut, ~3 min)
	@eval "$$($(INFRA) env)"; $(UV) run python scripts/mutation/run.py $(MUTATION_ARGS)

# ---- web console (issue 18): console/, built from the npm registry, served by the gateway at / ----------------------
console: install ## Build the web console into console/dist (npm ci when the lock changed; the API client is regenerated)
	@command -v npm >/dev/null || { echo "make console: npm is missing (Node.js 20.19+ is needed)"; exit 1; }
	cd console && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; } && npm run build
# ---- end web console -------------------------------------------------------------------------------------------------

clean: ## Stop the infrastructure and delete .local/ (all local data)
	-$(INFRA) down
	rm -rf .local

# ---- containers (podman, no image registry needed; see README "Containers") ------------------------------------
.PHONY: images up down
images: ## Build every service and simulator image with podman (makes the Debian base images first if missing)
	scripts/containers.sh images

up: install infra-up ## Build the images, run the compose stack in podman on the local infra (CTR_PORT_OFFSET shifts ports)
	scripts/containers.sh up

down: ## Remove the containers `make up` started
	scripts/containers.sh down
# ---- end containers ---------------------------------------------------------------------------------------------

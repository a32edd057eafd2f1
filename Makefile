# Everyday commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= uv
INFRA := scripts/infra/infra.sh
PYTEST_ARGS ?=
SERVICES := auth catalog inventory analytics moysklad-connector

export UV_LINK_MODE ?= copy

.PHONY: help install infra-up infra-down infra-status migrate topics dev test test-slow test-all check lint format \
        typecheck imports asyncapi bench bench-quick clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

install: ## Install Python, uv and every package of the workspace (one lock file)
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet uv
	$(UV) sync

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

dev: install ## Run the whole system with demo data (Ctrl-C stops everything it started)
	$(UV) run python scripts/dev.py

test: install infra-up check ## Lint, type-check, then every test but the slow tier, on real Kafka, PostgreSQL, Redis
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
	$(UV) run mypy libs/common/src services/*/src tools/moysklad-simulator/src

imports: ## Services never import each other (import-linter)
	$(UV) run lint-imports

asyncapi: ## Regenerate the event contract document docs/events/asyncapi.json
	$(UV) run python -m crm_common.events.asyncapi > docs/events/asyncapi.json

bench: install infra-up ## Run every benchmark, one table, each figure next to a baseline measured in the same run
	@eval "$$($(INFRA) env)"; $(UV) run python bench/run_all.py

bench-quick: install infra-up ## The same table at small scales (about 5 minutes)
	@eval "$$($(INFRA) env)"; $(UV) run python bench/run_all.py --quick

clean: ## Stop the infrastructure and delete .local/ (all local data)
	-$(INFRA) down
	rm -rf .local

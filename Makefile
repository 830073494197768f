# Every target works on a fresh clone in any folder: the virtual environment is created on first
# use, and installs come from the hashed lock files in requirements/ (`make lock` refreshes them).
# uv (from PyPI) installs when it can, as it is several times faster; INSTALLER=pip forces plain
# pip, which reads the same lock files.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLER ?= uv
UV_VERSION := 0.13.9
PORT ?= 7777
DATABASE_URL ?= sqlite:///data/agno.db
# Handed to the server through the environment, never as arguments (visible in `ps`).
export PORT DATABASE_URL

.PHONY: install install-dev system-test-deps run seed test lint format lock conformance bench \
	bench-quick clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	@if [ "$(INSTALLER)" = uv ]; then $(BIN)/pip install --quiet uv==$(UV_VERSION) || \
		echo "uv could not be installed; using pip"; fi

# $(call lock_install,LOCK FILE,EDITABLE PROJECTS)
define lock_install
	@if [ -x $(BIN)/uv ]; then \
		$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r $(1) && \
		$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps $(2); \
	else \
		$(BIN)/pip install --quiet --require-hashes -r $(1) && \
		$(BIN)/pip install --quiet --no-deps $(2); \
	fi
endef

# Serving only: the runtime, the PostgreSQL driver, JWT.
$(VENV)/.serve: requirements/serve.txt pyproject.toml | $(BIN)/python
	$(call lock_install,requirements/serve.txt,-e .)
	touch $@

# Everything the tests, lint and benchmarks use; the conformance suite is its own distribution.
$(VENV)/.dev: requirements/dev.txt pyproject.toml conformance/pyproject.toml | $(BIN)/python
	$(call lock_install,requirements/dev.txt,-e . -e ./conformance)
	touch $@ $(VENV)/.serve

install: $(VENV)/.serve
install-dev: $(VENV)/.dev

# Debian packages the tests drive for real (PostgreSQL's binaries, Chromium for the Swagger UI
# test), installed when missing and the machine allows it; otherwise those tests say what to
# install (and fail under CI=true).
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
system-test-deps:
	@missing=""; \
	compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing="$$missing postgresql"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			$(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
seed: $(VENV)/.serve
	$(BIN)/agno-rename seed --if-empty --sessions-file data/sessions.json

run: seed
	$(BIN)/agno-rename serve

test: $(VENV)/.dev system-test-deps
	$(BIN)/pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Refresh the lock files from pyproject.toml and conformance/pyproject.toml.
LOCK := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes
lock: | $(BIN)/python
	@[ -x $(BIN)/uv ] || $(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(LOCK) pyproject.toml --extra postgres --extra jwt -o requirements/serve.txt
	$(LOCK) pyproject.toml conformance/pyproject.toml --extra postgres --extra jwt \
		--group pyproject.toml:dev -o requirements/dev.txt
	$(LOCK) conformance/pyproject.toml -o requirements/conformance.txt

# The suite against our own server: a fresh embedded SQLite database with seeded sessions, served
# on CONFORMANCE_PORT with a one-off key, stopped afterwards. Reports go to reports/.
CONFORMANCE_PORT ?= 7778
CONFORMANCE_DIR := data/conformance
CONFORMANCE_DB := sqlite:///$(CONFORMANCE_DIR)/agno.db
conformance: $(VENV)/.dev
	rm -rf $(CONFORMANCE_DIR) && mkdir -p $(CONFORMANCE_DIR) reports
	$(BIN)/agno-rename seed --database-url $(CONFORMANCE_DB) \
		--sessions-file $(CONFORMANCE_DIR)/sessions.json
	@token=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(24))'); \
	OS_SECURITY_KEY="$$token" $(BIN)/agno-rename serve --port $(CONFORMANCE_PORT) \
		--database-url $(CONFORMANCE_DB) --log-level warning \
		>$(CONFORMANCE_DIR)/server.log 2>&1 & server=$$!; \
	trap 'kill $$server 2>/dev/null; wait $$server 2>/dev/null' EXIT; \
	$(BIN)/python -m conformance.wait http://127.0.0.1:$(CONFORMANCE_PORT)/health 30 \
		|| { cat $(CONFORMANCE_DIR)/server.log; exit 2; }; \
	$(BIN)/agno-rename-conformance run --base-url http://127.0.0.1:$(CONFORMANCE_PORT) \
		--token="$$token" --sessions $(CONFORMANCE_DIR)/sessions.json \
		--report-json reports/conformance.json --junit-xml reports/conformance.xml

# Load benchmarks (BENCHMARKS.md): our server against a bare-ASGI ceiling, one table per run.
# wrk is Debian's package, installed here when missing.
WRK_INSTALL := command -v wrk >/dev/null 2>&1 || { apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
bench: $(VENV)/.dev
	@$(WRK_INSTALL)
	$(BIN)/python -m benchmarks

bench-quick: $(VENV)/.dev
	@$(WRK_INSTALL)
	$(BIN)/python -m benchmarks --quick

clean:
	rm -rf $(VENV) data reports .mypy_cache .pytest_cache .ruff_cache .hypothesis

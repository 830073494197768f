# Every target works on a fresh clone: the virtual environment is created on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 7777
DATABASE_URL ?= sqlite:///data/agno.db
export PORT DATABASE_URL

.PHONY: install run seed test lint conformance bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[postgres,jwt,conformance,test,lint,agno]'
	touch $(STAMP)

install: $(STAMP)

seed: $(STAMP)
	$(BIN)/agno-rename seed --if-empty --sessions-file data/sessions.json

run: seed
	$(BIN)/agno-rename serve --port $(PORT) --database-url $(DATABASE_URL)

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# The suite against our own server: a fresh embedded SQLite database with seeded sessions, served
# on CONFORMANCE_PORT with a one-off key, stopped afterwards. Reports go to reports/.
CONFORMANCE_PORT ?= 7778
CONFORMANCE_DIR := data/conformance
CONFORMANCE_DB := sqlite:///$(CONFORMANCE_DIR)/agno.db
conformance: $(STAMP)
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
		--token "$$token" --sessions $(CONFORMANCE_DIR)/sessions.json \
		--report-json reports/conformance.json --junit-xml reports/conformance.xml

# Load benchmarks (BENCHMARKS.md): our server against a bare-ASGI ceiling, one table per run.
# wrk is Debian's package, installed here when missing.
WRK_INSTALL := command -v wrk >/dev/null 2>&1 || { apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
bench: $(STAMP)
	@$(WRK_INSTALL)
	$(BIN)/python -m benchmarks

bench-quick: $(STAMP)
	@$(WRK_INSTALL)
	$(BIN)/python -m benchmarks --quick

clean:
	rm -rf $(VENV) data reports .mypy_cache .pytest_cache .ruff_cache .hypothesis

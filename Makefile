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

clean:
	rm -rf $(VENV) data reports .mypy_cache .pytest_cache .ruff_cache .hypothesis

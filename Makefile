# Everything a fresh clone needs: `make run` serves the demo, `make test` checks it all.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SIZE ?= small
BACKEND ?= sqlite

.PHONY: run test lint types layers pytest docs bench clean readme reference

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/ledger demo
	$(BIN)/ledger serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

# the documentation site (docs/, mkdocs.yml) into site/; strict: a broken link fails
docs: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

test: lint types layers pytest docs

bench: $(STAMP)
	$(BIN)/python -m bench --size $(SIZE) --backend $(BACKEND)

# the generated parts of docs/reference/ (tests/test_reference_docs.py fails when one is stale)
reference: $(STAMP)
	$(BIN)/ledger kinds --write docs/reference/record-kinds.md
	$(BIN)/ledger config --write docs/reference/settings.md
	$(BIN)/ledger help --write docs/reference/cli.md

readme: reference

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache ledger.db* site

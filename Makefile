# Every target bootstraps the virtual environment on first use (pinned by requirements.lock).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint dev norm clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python >= 3.11 is required (found $$($(PYTHON) --version))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

## The main job on embedded defaults: generate a small portfolio and run the nightly pipeline.
demo: $(STAMP)
	$(BIN)/dsnpipe demo

## The default test suite (lint and type check included); benchmarks excluded.
test: $(STAMP) lint
	$(BIN)/python -m pytest -m "not bench" -n 2 -q

## Slow scale runs and benchmarks; they print ratios against a baseline measured in the same run.
bench: $(STAMP)
	$(BIN)/python -m pytest -m bench -s -q -p no:randomly

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy pipelines dsn_parser payment_files contracts ledgers quality warehouse serving synthetic tools tests

## Dagster's UI on the project's definitions, with the repo's dagster.yaml (linked into a
## DAGSTER_HOME of its own, so Dagster's logs and run storage stay out of the source tree).
dev: $(STAMP)
	ln -sfn ../dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home DSNPIPE_AUTOMATION=marche VIRTUAL_ENV=$(CURDIR)/$(VENV) \
		$(BIN)/dg dev

## Regenerate the committed norm dictionaries and control catalogue from the official DSN
## dictionary (needs ../shared), and docs/controls.md from the catalogue.
norm: $(STAMP)
	$(BIN)/python -m dsn_parser.norm.generate --source ../shared/reference/dsn/dictionary
	$(BIN)/python -m dsn_parser.validation.controls_doc

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# The two commands: `make run` and `make test`. Both bootstrap .venv from pyproject.toml.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint types imports bench loadcheck previews conformance clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

PORT ?= 8000

run: $(STAMP)
	BIZREG_LOG_FORMAT=$${BIZREG_LOG_FORMAT:-text} $(BIN)/bizreg serve --host 127.0.0.1 --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

test: lint types imports
	$(BIN)/pytest $(PYTEST_ARGS)

check: test

bench: $(STAMP)
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

# CI's bounded load test: 30 signed terminals for 20 s against a real `bizreg serve`; fails on
# any 5xx but 503 with Retry-After, any client timeout, or a submitted application not issued.
loadcheck: $(STAMP)
	$(BIN)/python bench/bench_load.py --terminals 30 --seconds 20 --check

# The licence previews in docs/ from the current templates (needs pdftoppm, poppler-utils);
# tests/templates/test_previews.py fails when they are stale.
previews: $(STAMP)
	$(BIN)/python -m registration.issuance.previews docs

# The conformance vectors from the reference code, and the Java client over them (needs a JDK 17).
conformance: $(STAMP)
	$(BIN)/python -m conformance.generate
	rm -rf clients/java/build
	javac --release 17 -d clients/java/build $$(find clients/java/src -name '*.java')
	java -cp clients/java/build bizreg.Conformance conformance/vectors

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache

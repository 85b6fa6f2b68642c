# The README's commands. `make run` and `make test` each do their whole set-up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Run the reminder daemon in the foreground on the bundled example config.
run: $(STAMP)
	$(BIN)/habitd --config config.example.toml check
	$(BIN)/habitd --config config.example.toml run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy daemon

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info

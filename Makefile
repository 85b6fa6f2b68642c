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

# Run the reminder daemon in the foreground on the bundled example config, with a demo
# state folder in this checkout (ignored by git): never your own ~/.local/state/habitd.
DEMO_CONFIG ?= config.example.toml
DEMO_STATE ?= .demo-state
DEMO := $(BIN)/habitd --config $(DEMO_CONFIG) --state-dir $(DEMO_STATE)
run: $(STAMP)
	@$(DEMO) check >/dev/null
	@echo "config: $(DEMO_CONFIG)"
	@echo "state:  $(DEMO_STATE)/ (a demo folder, delete it to start afresh)"
	@echo "next:   $$($(DEMO) next --limit 1 | head -n 1)"
	@echo "Running in the foreground; stop it with Ctrl-C."
	@$(DEMO) run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy daemon

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info

# The README's commands. `make run` and `make test` each do their whole set-up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-quick test-hours lint bench install clean

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
	$(BIN)/mypy

test: lint
	$(BIN)/pytest
	$(MAKE) --no-print-directory test-hours

# The unit tests alone, about a minute: the loop to run while working.
test-quick: $(STAMP)
	$(BIN)/pytest -q -m "not e2e and not slow"

# The tests that start habitd on the machine's clock, at fixed hours of the day (in UTC) and
# 20 seconds before a DST change in Berlin, in zones other than the machine's: none may depend on
# the hour, the date or the zone it runs in (tests/clock.py).
HOUR_TESTS := tests/test_state_safety.py tests/test_daemon_state.py tests/test_output.py tests/test_quiet_schedule.py
test-hours: $(STAMP)
	@for hour in 03:00:00 12:00:00 23:30:00; do \
	  echo "tests on the machine's clock at $$hour UTC"; \
	  HABITD_TEST_CLOCK="$$(date -u +%F) $$hour" TZ=UTC $(BIN)/pytest -q $(HOUR_TESTS) || exit 1; \
	done
	@echo "tests on the machine's clock 20 s before the clocks go forward in Berlin"
	@HABITD_TEST_CLOCK="2027-03-28 01:59:40" TZ=Europe/Berlin $(BIN)/pytest -q $(HOUR_TESTS)

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info

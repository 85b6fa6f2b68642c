# The commands of the README and CONTRIBUTING.md. `make run` and `make test` each do their whole set-up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-quick test-hours hours-dst coverage lint bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Run the reminder daemon in the foreground on a demo: the example's habits and one due at the
# next minute, so a reminder with its buttons is on screen within a minute. Its config and history
# are in a demo folder in this checkout (ignored by git), emptied at each start: never your own
# ~/.config/habitd or ~/.local/state/habitd. `habitd try` shows one sample bubble at once.
DEMO_STATE ?= .demo-state
run: $(STAMP)
	@$(BIN)/habitd demo --dir $(DEMO_STATE)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# Most of the suite waits on real subprocesses (the daemon, dunst, Syncthing), not on the CPU (it
# keeps about 1.3 of the 2 cores busy): four pytest-xdist workers on two cores take it to 2 min 25 s,
# from 2 min 44 s with three (2026-12-03, side by side, load 0.2 to 2.9), and to 3 min 17 s with two
# busy loops beside it, from 4.5 minutes with three at load 3.9.
# loadgroup: the tests of one xdist_group (the Syncthing pairs) stay on one worker.
PYTEST := $(BIN)/pytest -p no:cacheprovider
XDIST := -n 4 --dist loadgroup

test: lint
	$(PYTEST) $(XDIST)
	$(MAKE) --no-print-directory test-hours

# The unit tests alone, under a minute: the loop to run while working.
test-quick: $(STAMP)
	$(PYTEST) $(XDIST) -q -m "not e2e and not slow"

# The tests that start habitd on the machine's clock, at fixed hours of the day (in UTC) and
# 20 seconds before a DST change in Berlin, in zones other than the machine's: none may depend on
# the hour, the date or the zone it runs in (tests/clock.py). The end-to-end tests of these files
# run on a faked clock of their own, the same at any hour, so only those marked machine_clock run
# here. The four runs are independent: they run side by side, each one's output in one piece.
HOUR_TESTS := tests/test_state_safety.py tests/test_daemon_state.py tests/test_output.py tests/test_quiet_schedule.py
HOURS := hours-03:00:00 hours-12:00:00 hours-23:30:00 hours-dst
test-hours: $(STAMP)
	@$(MAKE) --no-print-directory -j4 --output-sync=target $(HOURS)

# Each run has a temporary folder of its own: side by side, they would clear each other's old ones.
hours-%:
	@echo "tests on the machine's clock at $* UTC"
	@HABITD_TEST_CLOCK="$$(date -u +%F) $*" TZ=UTC $(PYTEST) -q -m "not e2e or machine_clock" \
		--basetemp="$${TMPDIR:-/tmp}/habitd-hours-$*" $(HOUR_TESTS)

hours-dst:
	@echo "tests on the machine's clock 20 s before the clocks go forward in Berlin"
	@HABITD_TEST_CLOCK="2027-03-28 01:59:40" TZ=Europe/Berlin $(PYTEST) -q -m "not e2e or machine_clock" \
		--basetemp="$${TMPDIR:-/tmp}/habitd-hours-dst" $(HOUR_TESTS)

# Line coverage of the habitd package over the whole suite, the daemon and the other habitd
# processes the tests start included ([tool.coverage.run] in pyproject.toml).
# The report comes even when a test fails; then the target fails too.
coverage: $(STAMP)
	@rm -f .coverage .coverage.*
	@COVERAGE_FILE=$(CURDIR)/.coverage $(BIN)/coverage run -m pytest -p no:cacheprovider $(XDIST) -q; \
	status=$$?; $(BIN)/coverage combine -q && $(BIN)/coverage report || status=1; exit $$status

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* build dist *.egg-info

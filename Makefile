# The two commands of the README: `make demo` (set up, then run the demo on the built-in
# sandbox) and `make test` (set up, then the whole suite).
.PHONY: setup demo test test-fast test-faults shots lint serve

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/python run.py demo

# `make test` spreads the suite over four pytest-xdist workers (each starts its own sandbox on
# its own port): a browser test mostly waits on other processes, so four keep both cores busy.
# Tests go out one at a time (--maxschedchunk 1) and the modules marked `long` are collected
# first, so the long ones start early and the short ones fill in around them.
# `make test WORKERS=0` runs one test at a time.
WORKERS ?= 4
test: setup
	.venv/bin/ruff check .
	.venv/bin/mypy
	.venv/bin/python -m pytest -q -n $(WORKERS) --maxschedchunk 1

# The unit tier alone: no browser, no sandbox server, no process started (pytest-playwright not
# even loaded); the tests that start processes are in tests/processes, which `make test` runs.
test-fast:
	.venv/bin/python -m pytest -q -p no:playwright tests/unit

# The fault-and-kill matrix alone (tests/e2e/test_fault_matrix.py); `make test` runs it whole
# too (`-m 'not faults'` leaves its slower cases out of a local run).
test-faults: setup
	.venv/bin/python -m pytest -q -n $(WORKERS) --maxschedchunk 1 tests/e2e/test_fault_matrix.py

# The console's screenshots in docs/images, retaken by its tests (a plain test run drops them).
shots: setup
	CERTRUNNER_SHOTS=1 .venv/bin/python -m pytest -q tests/console

lint: setup
	.venv/bin/ruff check .
	.venv/bin/mypy

serve: setup
	.venv/bin/python run.py sandbox serve --port 8800

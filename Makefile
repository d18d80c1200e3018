# The two commands of the README: `make demo` (set up, then run the demo on the built-in
# sandbox) and `make test` (set up, then the whole suite).
.PHONY: setup demo test test-fast test-faults lint serve

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/python run.py demo

# `make test WORKERS=3` spreads the suite over three pytest workers (pytest-xdist; each starts
# its own sandbox on its own port): 11.5 min instead of about 14 on 2 cores. One at a time
# is the default, the lightest load for a shared CI machine.
WORKERS ?= 0
test: setup
	.venv/bin/ruff check .
	.venv/bin/mypy
	.venv/bin/python -m pytest -q -n $(WORKERS)

# The unit tier alone: no browser, no sandbox server, no process started (pytest-playwright not
# even loaded); the tests that start processes are in tests/processes, which `make test` runs.
test-fast:
	.venv/bin/python -m pytest -q -p no:playwright tests/unit

# The whole fault-and-kill matrix (tests/e2e/test_fault_matrix.py); `make test` runs its fast cases.
test-faults: setup
	.venv/bin/python -m pytest -q -m 'faults or not faults' tests/e2e/test_fault_matrix.py

lint: setup
	.venv/bin/ruff check .
	.venv/bin/mypy

serve: setup
	.venv/bin/python run.py sandbox serve --port 8800

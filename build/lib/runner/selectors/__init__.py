"""The nightly selector check: walk every page read-only, report drift."""

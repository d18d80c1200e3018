"""The engine: flows, runs, the store, browser sessions and selector checks."""

"""The command layer: the certrunner CLI, its commands, the demo."""

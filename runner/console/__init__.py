"""The operator console: server-rendered pages for the people in the loop."""

"""The application layer: what every door (command line, HTTP, MCP, queue, console) calls."""

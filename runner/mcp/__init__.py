"""The MCP server: the service's runs as tools an agent can call (stdio and streamable HTTP)."""

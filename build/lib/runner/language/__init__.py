"""The flow language: YAML with lines, the flow model, safe expressions, validation."""

"""Configuration: the loader and the shipped YAML files (default.yaml targets the sandbox)."""

from runner.config.loader import (
    CONSOLES,
    DEFAULT_CONFIG,
    SANDBOX_SCHEME,
    BrowserConfig,
    Config,
    ConsoleConfig,
    SelectorSettings,
    load_config,
)

__all__ = ["CONSOLES", "DEFAULT_CONFIG", "SANDBOX_SCHEME", "BrowserConfig", "Config",
           "ConsoleConfig", "SelectorSettings", "load_config"]

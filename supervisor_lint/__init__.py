"""supervisor-lint: a linter, validator and autofixer for Supervisor configs."""

__version__ = "0.1.0"

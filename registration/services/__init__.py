"""Use cases: one function per action, one transaction per use case."""

from tests.terminals.conftest import make_terminal

__all__ = ["make_terminal"]

"""Verifying one file must not pay for signing: `pyhanko.sign`'s package `__init__` re-exports
the signers, which import the HTTP timestamp client and with it aiohttp (~110 ms, a third of a
whole `bizreg verify` process). The verifier needs only the submodules `pyhanko.sign.validation`,
`.diff_analysis`, `.fields` and `.general`, none of which use those re-exports.

`defer_pyhanko_sign_init()` registers `pyhanko.sign` as a package whose `__init__` has not run
yet: its submodules import as usual, and the first access to any other attribute (for example
`from pyhanko.sign import PdfSigner`) runs the real `__init__` in place, so every caller still
sees the package pyHanko defines. Where `pyhanko.sign` is already imported it changes nothing.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types
from typing import Any

PACKAGE = "pyhanko.sign"


class _DeferredPackage(types.ModuleType):
    """A package module whose `__init__` runs on the first access to a name it defines."""

    def __getattr__(self, name: str) -> Any:
        # Only names the package itself would bind; submodules (found on `__path__`) and dunder
        # probes are left to the import system, or `hasattr` checks would load the signers.
        if name.startswith("__") or importlib.util.find_spec(f"{self.__name__}.{name}"):
            raise AttributeError(name)
        _run_init(self)
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None


_init_lock = threading.Lock()


def _run_init(module: _DeferredPackage) -> None:
    with _init_lock:
        if type(module) is not _DeferredPackage:
            return
        spec = module.__spec__
        assert spec is not None
        assert spec.loader is not None
        # From now on an ordinary module: no more __getattr__ and no second run.
        module.__class__ = types.ModuleType  # type: ignore[assignment]
        spec.loader.exec_module(module)


def defer_pyhanko_sign_init() -> None:
    if PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    module = _DeferredPackage(PACKAGE)
    module.__spec__ = spec
    module.__file__ = spec.origin
    module.__path__ = list(spec.submodule_search_locations)
    module.__package__ = PACKAGE
    module.__loader__ = spec.loader
    parent = importlib.import_module("pyhanko")
    sys.modules[PACKAGE] = module
    parent.sign = module  # type: ignore[attr-defined]

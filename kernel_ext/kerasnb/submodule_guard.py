"""`%load_ext kerasnb.<anything>` explains itself, through one import hook.

IPython loads an extension by importing the module and calling its
`load_ipython_extension`; a kerasnb submodule has none, and IPython would say
only "not an IPython extension". Rather than a stub in every module, kerasnb's
package installs this finder when it is imported (always before any of its
submodules): each submodule it loads gets a `load_ipython_extension` that
names the right command. Imports nothing of kerasnb.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

PACKAGE = "kerasnb"


def refuse(module_name: str) -> Callable[[Any], None]:
    """A `load_ipython_extension` that points at `%load_ext kerasnb`."""

    def load_ipython_extension(ipython: Any) -> None:
        from IPython.core.error import UsageError

        raise UsageError(f"{module_name} is part of kerasnb; load it with `%load_ext kerasnb`")

    return load_ipython_extension


class _GuardedLoader(importlib.machinery.SourceFileLoader):
    def exec_module(self, module: ModuleType) -> None:
        super().exec_module(module)
        if not hasattr(module, "load_ipython_extension"):
            module.load_ipython_extension = refuse(module.__name__)  # type: ignore[attr-defined]


class _SubmoduleFinder(importlib.abc.MetaPathFinder):
    """Finds kerasnb's submodules as Python would, with the guarded loader."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(PACKAGE + "."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and type(spec.loader) is importlib.machinery.SourceFileLoader:
            spec.loader = _GuardedLoader(spec.loader.name, spec.loader.path)
        return spec


def install() -> None:
    """Put the finder first on `sys.meta_path`, once per interpreter."""
    if not any(isinstance(finder, _SubmoduleFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SubmoduleFinder())
    # This module itself was imported before the finder existed.
    globals().setdefault("load_ipython_extension", refuse(__name__))

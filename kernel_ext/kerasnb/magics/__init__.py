"""IPython magics: each feature's magics live in their own module here.

Magics only parse arguments and call a public kerasnb function; user mistakes
become one-line `UsageError`s.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics

from kerasnb.errors import KerasnbError, not_an_extension

load_ipython_extension = not_an_extension(__name__)

# Modules holding one Magics subclass each, registered in this order.
FEATURE_MODULES = (
    "kerasnb.magics.backend",
    "kerasnb.magics.export",
    "kerasnb.magics.compare",
    "kerasnb.magics.views",
    "kerasnb.magics.training",
)


def magics_classes() -> list[type[Magics]]:
    return [importlib.import_module(name).MAGICS for name in FEATURE_MODULES]


def register(shell: Any) -> None:
    for cls in magics_classes():
        shell.register_magics(cls)


def unregister(shell: Any) -> None:
    """Remove our magics; IPython has no public API for this."""
    manager = shell.magics_manager
    for cls in magics_classes():
        for kind, names in cls.magics.items():
            for name in names:
                manager.magics[kind].pop(name, None)
        manager.registry.pop(cls.__name__, None)


@contextlib.contextmanager
def usage_errors() -> Iterator[None]:
    """Show a KerasnbError as IPython's one-line UsageError, without traceback."""
    try:
        yield
    except KerasnbError as err:
        raise UsageError(str(err)) from None

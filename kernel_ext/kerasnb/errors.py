"""The one exception kerasnb raises for user mistakes.

Magics turn it into IPython's one-line `UsageError`; plain Python callers can
catch it like any `ValueError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class KerasnbError(ValueError):
    """A mistake the user can fix; the message says how."""


def not_an_extension(module_name: str) -> Callable[[Any], None]:
    """A `load_ipython_extension` for submodules that points at the real one.

    Every kerasnb submodule binds it, so `%load_ext kerasnb.magics` explains
    itself instead of IPython's "is not an IPython extension".
    """

    def load_ipython_extension(ipython: Any) -> None:
        from IPython.core.error import UsageError

        raise UsageError(f"{module_name} is part of kerasnb; load it with `%load_ext kerasnb`")

    return load_ipython_extension


load_ipython_extension = not_an_extension(__name__)

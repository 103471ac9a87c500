"""What `%load_ext`, `%reload_ext` and `%unload_ext kerasnb` do.

Loading is cheap by design: it registers magics and imports no backend.
Features that start things (kernels, patched fit) register a cleanup here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kerasnb import magics
from kerasnb.errors import not_an_extension

load_ipython_extension = not_an_extension(__name__)

_cleanups: list[Callable[[], None]] = []


def load(shell: Any) -> None:
    magics.register(shell)


def unload(shell: Any) -> None:
    while _cleanups:
        _cleanups.pop()()
    magics.unregister(shell)


def on_unload(cleanup: Callable[[], None]) -> None:
    """Run `cleanup` at `%unload_ext kerasnb` (and before a `%reload_ext`)."""
    if cleanup not in _cleanups:
        _cleanups.append(cleanup)

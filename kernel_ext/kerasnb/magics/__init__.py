"""The IPython layer's magics: one module per feature, each a thin `magic_arguments` wrapper.

Magics only parse arguments and call a public kerasnb function; user
mistakes (`KerasnbError`) become IPython's one-line `UsageError` in one place
(`usage`). The magic modules import their feature's machinery only when a
magic runs, so `%load_ext kerasnb` stays cheap.
"""

from __future__ import annotations

from typing import Any

from IPython.core.magic import Magics

from kerasnb.magics import backend, compare, doctor, export, training, views

# One Magics subclass per feature, registered in this order.
MAGICS: tuple[type[Magics], ...] = (
    backend.MAGICS,
    export.MAGICS,
    compare.MAGICS,
    views.MAGICS,
    training.MAGICS,
    doctor.MAGICS,
)


def register(shell: Any) -> None:
    for cls in MAGICS:
        shell.register_magics(cls)


def unregister(shell: Any) -> None:
    """Remove our magics (IPython has no public API for this); each may `forget()` first."""
    manager = shell.magics_manager
    for cls in MAGICS:
        instance = manager.registry.pop(cls.__name__, None)
        if hasattr(instance, "forget"):
            instance.forget()
        for kind, names in cls.magics.items():
            for name in names:
                manager.magics[kind].pop(name, None)

"""Switching Keras' backend in a live kernel without leaving the user guessing.

`keras.config.set_backend` re-imports Keras, but the user's namespace still
holds the old `keras` module, old classes and objects built on the old
backend. This module re-binds what can be re-bound (modules, classes,
functions imported from Keras) and names what cannot (models, layers,
tensors), so the user knows which cells to re-run.
"""

from __future__ import annotations

import importlib
import sys
import types
import warnings
from typing import Any

from kerasnb.backend import names
from kerasnb.layout import KERAS_MODULES


def switch_in_place(
    target: str, namespace: dict[str, Any]
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Switch to `target`; returns (re-bound names, [(stale name, description)])."""
    import keras

    previous = keras.backend.backend()
    own = _own_modules_to_keep()
    with warnings.catch_warnings():
        # Keras warns that old objects break; we name them instead.
        warnings.filterwarnings("ignore", message="Using `keras.config.set_backend`")
        keras.config.set_backend(target)
    # Keras drops every module whose name starts with "keras", ours included;
    # keep ours (their state: warm kernels, caches) but those that hold Keras.
    sys.modules.update(own)
    rebound = _rebind(namespace)
    stale = _stale(namespace, previous)
    return tuple(rebound), tuple(stale)


def _own_modules_to_keep() -> dict[str, types.ModuleType]:
    """kerasnb's modules, but those declared to hold Keras objects (kerasnb.layout)."""
    return {
        name: module
        for name, module in list(sys.modules.items())
        if module is not None
        and (name == "kerasnb" or name.startswith("kerasnb."))
        and name not in KERAS_MODULES
    }


def _from_keras(value: Any) -> bool:
    if isinstance(value, types.ModuleType):
        name = value.__name__
    else:
        name = getattr(value, "__module__", None) or ""
    return names.is_keras_module(name)


def _rebind(namespace: dict[str, Any]) -> list[str]:
    rebound = []
    for name, value in list(namespace.items()):
        if name.startswith("_") or not _from_keras(value):
            continue
        fresh = _reimport(value)
        if fresh is not None:
            namespace[name] = fresh
            rebound.append(name)
    return rebound


def _reimport(value: Any) -> Any:
    """The same module, class or function from the freshly imported Keras."""
    try:
        if isinstance(value, types.ModuleType):
            return importlib.import_module(value.__name__)
        if isinstance(value, type | types.FunctionType) and "<locals>" not in value.__qualname__:
            obj: Any = importlib.import_module(value.__module__)
            for part in value.__qualname__.split("."):
                obj = getattr(obj, part)
            return obj
    except (ImportError, AttributeError):
        return None
    return None


def _stale(namespace: dict[str, Any], previous: str) -> list[tuple[str, str]]:
    stale = []
    for name, value in namespace.items():
        if name.startswith("_") or name in ("In", "Out", "exit", "quit", "get_ipython"):
            continue
        what = _describe_stale(value, previous)
        if what is None and isinstance(value, list | tuple | dict):
            items = value.values() if isinstance(value, dict) else value
            inner = next((d for d in (_describe_stale(v, previous) for v in items) if d), None)
            what = f"{type(value).__name__} holding {inner}" if inner else None
        if what:
            stale.append((name, what))
    return stale


def _describe_stale(value: Any, previous: str) -> str | None:
    if isinstance(value, type | types.ModuleType | types.FunctionType | types.BuiltinFunctionType):
        return None
    module = type(value).__module__ or ""
    if names.is_keras_module(module) or names.backend_of_module(module) == previous:
        return f"{type(value).__name__} ({module.split('.', 1)[0]})"
    return None

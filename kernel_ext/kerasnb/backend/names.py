"""The Keras backends, named once: aliases, packages, module roots.

Every other module asks here, so adding or renaming a backend is one edit.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from kerasnb.errors import KerasnbError


@dataclass(frozen=True)
class Backend:
    """One Keras backend and the package that provides it."""

    name: str  # as Keras spells it
    label: str  # as people read it
    module: str  # what must import for the backend to work
    distribution: str  # the package whose version is the backend's
    module_roots: tuple[str, ...]  # top-level modules whose objects belong to it

    @property
    def install_command(self) -> str:
        return f"%pip install {self.distribution}"


_ALL = (
    Backend("jax", "JAX", "jax", "jax", ("jax", "jaxlib")),
    Backend("torch", "PyTorch", "torch", "torch", ("torch",)),
    Backend("tensorflow", "TensorFlow", "tensorflow", "tensorflow", ("tensorflow", "tf_keras")),
)
BACKENDS: tuple[str, ...] = tuple(b.name for b in _ALL)
ALIASES = {"tf": "tensorflow", "pytorch": "torch"}
KERAS_DEFAULT_BACKEND = "tensorflow"
_BY_NAME = {b.name: b for b in _ALL}


def backend(name: str) -> Backend:
    """The entry for a Keras backend name (already normalized)."""
    return _BY_NAME[name]


def normalize_name(name: str) -> str:
    """Map a user-typed backend name (any case, aliases) to a Keras backend name.

    Raises:
        KerasnbError: for a name that is no backend, listing the valid ones.
    """
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key not in _BY_NAME:
        valid = ", ".join(BACKENDS + tuple(ALIASES))
        raise KerasnbError(f"unknown backend {name!r}; use one of: {valid}")
    return key


def is_installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(_BY_NAME[name].module) is not None
    except (ImportError, ValueError):
        return False


def is_keras_module(module: str) -> bool:
    """Whether a module name belongs to Keras (keras, keras_hub, keras_nlp, ...)."""
    root = module.split(".", 1)[0]
    return root in ("keras", "keras_hub") or root.startswith("keras_")


def backend_of_module(module: str) -> str | None:
    """The backend whose package a module name belongs to (torch.nn -> torch)."""
    root = module.split(".", 1)[0]
    return next((b.name for b in _ALL if root in b.module_roots), None)

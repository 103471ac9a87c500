"""A saved model and a sample from files, for `kerasnb doctor` in a shell or in CI."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kerasnb.errors import KerasnbError


def load_model(path: str, imports: Sequence[str] = ()) -> Any:
    """The model saved at `path`, after importing the modules that register its classes."""
    import keras

    for module in imports:
        try:
            importlib.import_module(module)
        except ImportError as err:
            raise KerasnbError(
                f"--import {module}: {err}; check the module name and PYTHONPATH"
            ) from None
    file = Path(path)
    if not file.is_file():
        raise KerasnbError(f"{path!r} is not a file; pass a model saved with model.save('m.keras')")
    try:
        return keras.saving.load_model(file)
    except Exception as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:300]
        hint = (
            "; import the module that defines and registers it with --import MODULE"
            if "Could not locate" in first
            else ""
        )
        raise KerasnbError(f"cannot load {path}: {first}{hint}") from None


def load_sample(path: str) -> Any:
    """Inputs from a .npy file, or inputs and targets (x, y) from a .npz file."""
    import numpy as np

    file = Path(path)
    if not file.is_file():
        raise KerasnbError(f"--sample {path!r} is not a file; save one with np.save('x.npy', x)")
    try:
        data = np.load(file, allow_pickle=False)
    except (ValueError, OSError) as err:
        raise KerasnbError(f"--sample {path}: not a NumPy .npy/.npz file ({err})") from None
    if isinstance(data, np.ndarray):
        return data
    with data:
        if "x" not in data.files:
            raise KerasnbError(f"--sample {path}: a .npz sample needs an array named x (and y)")
        return (data["x"], data["y"]) if "y" in data.files else data["x"]

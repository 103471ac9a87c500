"""Lists of NumPy arrays in .npz files: written atomically, read without pickles.

Parity moves weights and outputs between kernels this way; `allow_pickle=False`
means a file can only ever hold numbers, never code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def save(arrays: list[Any], path: Path) -> None:
    """Write `arrays` in order; readers never see half a file."""
    import numpy as np

    partial = path.with_name("partial-" + path.name)
    np.savez(partial, *arrays)
    os.replace(partial, path)


def load(path: str | Path) -> list[Any]:
    """The arrays `save` wrote, in order."""
    import numpy as np

    with np.load(path, allow_pickle=False) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]

"""NumPy arrays as text that JSON can carry: a .npz file, base64-encoded.

Everything that crosses between the notebook and the backend kernels (pushed
variables, parity's weights and outputs, the doctor's outputs) travels over
the kernel protocol as JSON, so local and remote (gateway) kernels are alike.
Arrays go as one .npz, read back with `allow_pickle=False`: the text can only
ever hold numbers, never code.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import Any


def dumps(arrays: Sequence[Any] | Mapping[str, Any]) -> str:
    """Arrays (a list, or name -> array) as base64 .npz text."""
    import numpy as np

    buffer = io.BytesIO()
    if isinstance(arrays, Mapping):
        named: dict[str, Any] = {k: np.asarray(v) for k, v in arrays.items()}
        np.savez(buffer, **named)
    else:
        np.savez(buffer, *[np.asarray(a) for a in arrays])
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def loads(text: str) -> list[Any]:
    """The arrays of a list `dumps` wrote, in order."""
    import numpy as np

    with np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


def loads_named(text: str) -> dict[str, Any]:
    """The arrays of a mapping `dumps` wrote, by name."""
    import numpy as np

    with np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}

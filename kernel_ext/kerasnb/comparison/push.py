"""Sending notebook variables to backend kernels as data, never as pickles.

NumPy arrays travel as one .npz (base64 text, read back with
`allow_pickle=False`); plain Python data (None, bools, numbers, strings, and
lists, tuples and string-keyed dicts of those or of arrays) travels as JSON
beside it, in one JSON message over the kernel protocol. Anything
else is refused with a message that says what to push instead, because a
pickle would run code in the backend kernel and would carry objects built on
the notebook's backend.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kerasnb.backend import names
from kerasnb.comparison import npz
from kerasnb.errors import KerasnbError

_ARRAY = "__kerasnb_array__"
_TUPLE = "__kerasnb_tuple__"
_SCALAR = "__kerasnb_scalar__"
_ARRAY_KINDS = set("biufcUSmM")  # numeric, bool, text, dates: no objects, no records


def pack(values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` (name -> value) as one JSON-able message for `unpack`.

    Raises:
        KerasnbError: a value that is neither a NumPy array nor plain data.
    """
    arrays: dict[str, Any] = {}
    manifest = {name: _encode(name, value, arrays) for name, value in values.items()}
    json.dumps(manifest)  # plain data all the way down, or this raises
    return {"manifest": manifest, "arrays": npz.dumps(arrays)}


def unpack(message: Mapping[str, Any]) -> dict[str, Any]:
    """The variables `pack` packed, as NumPy arrays and plain Python data."""
    arrays = npz.loads_named(message["arrays"])
    return {name: _decode(value, arrays) for name, value in message["manifest"].items()}


def _encode(path: str, value: Any, arrays: dict[str, Any]) -> Any:
    import numpy as np

    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        if array.dtype.kind not in _ARRAY_KINDS:
            raise KerasnbError(
                f"cannot push {path}: a NumPy array of dtype {array.dtype} may hold Python "
                "objects; convert it to a numeric or string dtype first"
            )
        key = f"a{len(arrays)}"
        arrays[key] = array
        return {_SCALAR if isinstance(value, np.generic) else _ARRAY: key}
    if isinstance(value, list | tuple):
        items = [_encode(f"{path}[{i}]", item, arrays) for i, item in enumerate(value)]
        return {_TUPLE: items} if isinstance(value, tuple) else items
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise KerasnbError(f"cannot push {path}: only dicts with string keys can be pushed")
        return {k: _encode(f"{path}[{k!r}]", v, arrays) for k, v in value.items()}
    raise KerasnbError(f"cannot push {path}: {_why_not(value)}")


def _decode(value: Any, arrays: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item, arrays) for item in value]
    if isinstance(value, dict):
        if set(value) == {_ARRAY}:
            return arrays[value[_ARRAY]]
        if set(value) == {_SCALAR}:
            return arrays[value[_SCALAR]][()]
        if set(value) == {_TUPLE}:
            return tuple(_decode(item, arrays) for item in value[_TUPLE])
        return {k: _decode(v, arrays) for k, v in value.items()}
    return value


def _why_not(value: Any) -> str:
    """Say what the value is and what to push instead."""
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    root = kind.split(".", 1)[0]
    if names.is_keras_module(kind):
        return (
            f"it holds a Keras object ({kind}), which belongs to this kernel's backend; "
            "build it in the compared cell or in a %%keras_setup cell"
        )
    if names.backend_of_module(kind) is not None:
        return (
            f"it holds a {root} tensor ({kind}); push a NumPy copy instead, "
            "e.g. `x_np = keras.ops.convert_to_numpy(x)`"
        )
    if hasattr(value, "to_numpy"):
        return f"it holds a {kind}; push a NumPy copy instead, e.g. `x_np = x.to_numpy()`"
    if callable(value):
        return f"it is a function or class ({kind}); define it in a %%keras_setup cell"
    return (
        f"it holds a {kind}; push NumPy arrays or plain Python data "
        "(numbers, strings, lists, tuples, dicts), or create it in a %%keras_setup cell"
    )

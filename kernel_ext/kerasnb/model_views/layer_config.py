"""A layer's `get_config()` as small, strict JSON for the graph's details panel.

Re-imported after a backend switch (it imports Keras), so it keeps no state.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from collections.abc import Iterator
from typing import Any

from keras.src.utils import module_utils

MAX_JSON = 20_000  # characters; past this, long lists and strings are cut short
MAX_ITEMS = 64  # per list in a cut-down config
MAX_TEXT = 500  # characters per string in a cut-down config


@contextlib.contextmanager
def tensorflow_left_unimported() -> Iterator[None]:
    """Keep `get_config()` from importing TensorFlow (~10 s) on JAX or PyTorch.

    Keras' serializer asks `tf.available` to test for TensorFlow types, which
    imports TensorFlow when it is installed. While TensorFlow is not imported
    no such object can exist, so the answer "not available" is exact; Keras
    asks again (and imports) the next time anyone else needs it.
    """
    lazy = module_utils.tensorflow
    if lazy.module is not None or "tensorflow" in sys.modules or lazy._available is not None:
        yield
        return
    lazy._available = False
    try:
        yield
    finally:
        lazy._available = None


def config_json(layer: Any) -> str | None:
    """JSON text of the layer's config, or None if the layer cannot give one.

    The common case is one `json.dumps`; only configs with NaN or that are
    very large take the slower walk that cuts them down.
    """
    try:
        config = layer.get_config()
    except Exception:  # custom layers need not implement get_config
        return None
    try:
        text = json.dumps(config, default=str, allow_nan=False)
    except ValueError:  # NaN or infinity: not JSON, which the browser parses strictly
        text = None
    if text is None or len(text) > MAX_JSON:
        text = json.dumps(_cut_down(config))
    return text


def _cut_down(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _cut_down(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items = [_cut_down(v) for v in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            items.append(f"… {len(value) - MAX_ITEMS} more")
        return items
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"

"""The Keras models and layers in the user's namespace, as rows for the sidebar.

Runs after every cell while a sidebar is open, so it is built to cost
microseconds: a namespace is scanned only if the user imported Keras (it
never imports Keras itself), each value's type is classified once (by its
MRO, so objects built before a backend switch are still recognised, and
flagged stale), and only Keras layers are looked at further. One broken
object gives a row with what could be read, never an error.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_TYPE_CACHE_LIMIT = 4096  # classes redefined in cells would otherwise pile up


@dataclass(frozen=True)
class ModelRow:
    """One model or layer bound to a name in the namespace."""

    name: str  # the variable
    class_name: str
    kind: str  # "model" or "layer"
    keras_name: str | None  # the layer's own `name`
    built: bool
    params: int | None  # None until built
    trainable_params: int | None
    backend: str | None  # the backend it was built on
    dtype_policy: str | None
    stale: bool  # built on a backend the kernel no longer runs

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))  # flat fields: no need for asdict's deep copy (10x slower)


@dataclass(frozen=True)
class _Kind:
    kind: str
    backend: str | None


class _Classifier:
    """Which types are Keras layers or models, for one import of Keras."""

    def __init__(self, keras: Any) -> None:
        self.keras = keras
        self.layer_class = keras.layers.Layer
        self.layer = (self.layer_class.__module__, self.layer_class.__qualname__)
        self.model = (keras.Model.__module__, keras.Model.__qualname__)
        self.active = str(keras.backend.backend())
        self.backend_prefix = _backend_prefix(self.layer_class, self.active)
        self.kinds: dict[type, _Kind | None] = {}

    def kind_of(self, cls: type) -> _Kind | None:
        try:
            return self.kinds[cls]
        except KeyError:
            pass
        if len(self.kinds) > _TYPE_CACHE_LIMIT:
            self.kinds.clear()
        found = self.kinds[cls] = self._classify(cls)
        return found

    def _classify(self, cls: type) -> _Kind | None:
        is_layer = is_model = False
        backend = None
        for base in getattr(cls, "__mro__", ()):
            where = (base.__module__, base.__qualname__)
            is_layer = is_layer or where == self.layer
            is_model = is_model or where == self.model
            if (
                backend is None
                and self.backend_prefix
                and base.__module__.startswith(self.backend_prefix)
            ):
                backend = base.__module__[len(self.backend_prefix) :].split(".", 1)[0]
        if not is_layer:
            return None
        return _Kind("model" if is_model else "layer", backend)


def _backend_prefix(layer_class: type, active: str) -> str | None:
    """Where Keras keeps its backends' base classes ('keras.src.backend.'), read off its Layer."""
    for base in layer_class.__mro__:
        parts = base.__module__.split(".")
        if active in parts[1:]:
            return ".".join(parts[: parts.index(active, 1)]) + "."
    return None


_classifier: _Classifier | None = None


def scan(namespace: Mapping[str, Any]) -> tuple[ModelRow, ...]:
    """Every Keras model and layer bound to a public name, in the namespace's order."""
    keras = sys.modules.get("keras")
    if keras is None:
        return ()
    classifier = _current_classifier(keras)
    rows = []
    for name, value in list(namespace.items()):
        if name.startswith("_"):
            continue
        kind = classifier.kind_of(type(value))
        if kind is not None and name.isidentifier():
            rows.append(_row(name, value, kind, classifier))
    return tuple(rows)


def _current_classifier(keras: Any) -> _Classifier:
    global _classifier
    if _classifier is None or _classifier.keras is not keras:  # a switch re-imports Keras
        _classifier = _Classifier(keras)
    return _classifier


def _row(name: str, layer: Any, kind: _Kind, classifier: _Classifier) -> ModelRow:
    # Runs after every cell for every model: plain attribute reads, one walk
    # of the weights for all of them and one for the trainable ones.
    stale = not isinstance(layer, classifier.layer_class)
    built = bool(_read(lambda: layer.built, False))
    params = trainable = None
    if built:
        try:
            params = _size(layer.weights)
            trainable = _size(layer.trainable_weights)
        except Exception:  # a half-built or broken layer still gets its row
            params = trainable = None
    return ModelRow(
        name=name,
        class_name=type(layer).__name__,
        kind=kind.kind,
        keras_name=_read(lambda: str(layer.name), None),
        built=built,
        params=params,
        trainable_params=trainable,
        backend=kind.backend or (None if stale else classifier.active),
        dtype_policy=_read(lambda: str(layer.dtype_policy.name), None),
        stale=stale,
    )


def _size(weights: Any) -> int:
    """Parameters in a list of variables, each counted once (as Keras' summary does)."""
    unique = {id(w): w for w in weights}
    return sum(math.prod(w.shape) for w in unique.values())


def _read(getter: Any, default: Any) -> Any:
    try:
        return getter()
    except Exception:
        return default


def reset() -> None:
    """Forget the classified types (`%unload_ext`)."""
    global _classifier
    _classifier = None

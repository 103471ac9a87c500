"""Everything a check could change, put back exactly: weights, optimizer, metrics, policy.

The doctor runs a training step, saves, loads and predicts with the user's
own model; `preserved(model)` snapshots every variable's value (trainable,
non-trainable such as BatchNormalization statistics and random seeds, the
optimizer's slots and step, the metrics' totals), the layers' trainable
flags and the global dtype policy, and restores them when the checks end,
whatever happened.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


def variables_of(model: Any) -> list[Any]:
    """Every Keras variable the model, its optimizer and its metrics hold, each once."""
    found: dict[int, Any] = {}
    groups = [model.variables, getattr(model, "metrics_variables", [])]
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        groups.append(optimizer.variables)
    for group in groups:
        for variable in group:
            found.setdefault(id(variable), variable)
    return list(found.values())


@contextlib.contextmanager
def preserved(model: Any) -> Iterator[None]:
    import keras
    import numpy as np

    policy = keras.config.dtype_policy()
    values = [(v, np.array(keras.ops.convert_to_numpy(v))) for v in variables_of(model)]
    flags = [(layer, layer.trainable) for layer in model._flatten_layers(include_self=True)]
    stop_training = getattr(model, "stop_training", False)
    try:
        yield
    finally:
        for variable, value in values:
            variable.assign(value)
        for layer, trainable in flags:
            if layer.trainable != trainable:
                layer.trainable = trainable
        model.stop_training = stop_training
        if keras.config.dtype_policy().name != policy.name:
            keras.config.set_dtype_policy(policy)
        _forget_gradients(model)


def _forget_gradients(model: Any) -> None:
    """torch keeps the last backward pass's gradients on the weights: drop them."""
    for variable in model.trainable_variables:
        value: Any = getattr(variable, "value", None)
        if getattr(value, "grad", None) is not None:
            value.grad = None

"""The batch the checks run on: the user's sample, or one made from the model's input shapes.

A sample that cannot be the model's input is refused in one line that names
the shape the model expects; targets for the one training step are the
user's, or made to fit the compiled loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kerasnb.errors import KerasnbError

BATCH = 4


@dataclass(frozen=True)
class Sample:
    x: Any  # a NumPy array, or a list/dict of them for several inputs
    y: Any = None  # targets, when the user gave them
    made: bool = False  # made from the input shapes, not the user's data


def _input_specs(model: Any) -> list[tuple[str, tuple[Any, ...], str]] | None:
    """(name, shape, dtype) of each input the model declares, or None if it declares none."""
    try:
        inputs = model.inputs  # Functional and Sequential models declare them
    except (AttributeError, ValueError):
        inputs = None
    if inputs:
        return [(_input_name(t), tuple(t.shape), str(t.dtype)) for t in inputs]
    shapes = getattr(model, "_build_shapes_dict", None) or {}
    if len(shapes) == 1:
        (shape,) = shapes.values()
        if isinstance(shape, tuple | list) and all(d is None or isinstance(d, int) for d in shape):
            return [("input", tuple(shape), "float32")]
    return None


def _input_name(tensor: Any) -> str:
    """The input's layer name, as the user named it (keras.Input(name=...))."""
    history = getattr(tensor, "_keras_history", None)
    return str(getattr(getattr(history, "operation", None), "name", None) or tensor.name)


def _shape_text(shape: tuple[Any, ...]) -> str:
    return "(" + ", ".join("batch" if i == 0 else str(d) for i, d in enumerate(shape)) + ")"


def make(model: Any, given: Any = None) -> Sample:
    """The sample to check with: `given` (inputs, or an (inputs, targets) tuple), checked."""
    import numpy as np

    specs = _input_specs(model)
    if given is None:
        if specs is None or any(d is None for _, shape, _ in specs for d in shape[1:]):
            raise KerasnbError(
                f"the doctor cannot tell what model {model.name!r} takes as input; pass a batch "
                "of it, e.g. kerasnb.doctor(model, sample=x_val[:8]) or --sample x_val"
            )
        rng = np.random.default_rng(0)
        arrays = [
            rng.normal(size=(BATCH, *shape[1:])).astype(dtype)
            if "float" in dtype
            else np.zeros((BATCH, *shape[1:]), dtype)
            for _, shape, dtype in specs
        ]
        return Sample(arrays[0] if len(arrays) == 1 else arrays, made=True)
    x, y = given if isinstance(given, tuple) and len(given) == 2 else (given, None)
    x = _as_arrays(x)
    if specs is not None:
        _check_shapes(model, x, specs)
    return Sample(x, None if y is None else _as_arrays(y))


def _as_arrays(value: Any) -> Any:
    import numpy as np

    if isinstance(value, dict):
        return {k: np.asarray(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [np.asarray(v) for v in value]
    return np.asarray(value)


def _check_shapes(model: Any, x: Any, specs: list[tuple[str, tuple[Any, ...], str]]) -> None:
    arrays = list(x.values()) if isinstance(x, dict) else x if isinstance(x, list) else [x]
    expected = ", ".join(f"{name} of shape {_shape_text(shape)}" for name, shape, _ in specs)
    if len(arrays) != len(specs):
        raise KerasnbError(
            f"model {model.name!r} takes {len(specs)} input(s) ({expected}); the sample "
            f"holds {len(arrays)}"
        )
    for array, (name, shape, _) in zip(arrays, specs, strict=True):
        fits = array.ndim == len(shape) and all(
            want is None or want == got
            for want, got in zip(shape[1:], array.shape[1:], strict=True)
        )
        if not fits:
            wanted = "inputs" if len(specs) == 1 else f"input {name!r}"
            raise KerasnbError(
                f"the sample has shape {tuple(array.shape)}, but model {model.name!r} expects "
                f"{wanted} of shape {_shape_text(shape)}; pass a batch of its inputs"
            )


def targets(model: Any, sample: Sample, y_pred: Any) -> Any | None:
    """Targets for one training step: the user's, else made to fit the compiled loss.

    Returns None when the loss is not one whose targets can be made up (a
    custom loss, several outputs): the step is then skipped, and says why.
    """
    import numpy as np

    if sample.y is not None:
        return sample.y
    if isinstance(y_pred, list | tuple | dict):
        return None
    name = _loss_name(getattr(model, "loss", None))
    pred = np.asarray(y_pred, dtype="float64")
    if name is None:
        return None
    if "sparse_categorical" in name:
        return ((pred.argmax(-1) + 1) % pred.shape[-1]).astype("int32")
    if "categorical" in name:
        return np.eye(pred.shape[-1], dtype="float32")[(pred.argmax(-1) + 1) % pred.shape[-1]]
    if "binary" in name:
        return (pred < 0.5).astype("float32")
    if any(word in name for word in ("mean", "mse", "mae", "huber", "log_cosh")):
        return (pred + 1.0).astype("float32")
    return None


def _loss_name(loss: Any) -> str | None:
    if isinstance(loss, str):
        return loss.lower()
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None)
    return str(name).lower() if name else None

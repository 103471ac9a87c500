"""`mixed_precision`: half precision where it helps, float32 where it must stay.

Under a mixed policy Keras computes in float16/bfloat16 and keeps variables
in float32. Three mistakes break that: an output the loss reads in half
precision (a float16 softmax underflows to exact zeros, and the
cross-entropy of a zero is clipped nonsense), a layer whose variables are
half precision (the optimizer's small updates vanish), and, with float16, a
custom train_step that never scales the loss (its gradients underflow).
"""

from __future__ import annotations

import inspect
from typing import Any

from kerasnb.pitfalls.report import FAIL, PASS, SKIP, WARN, Finding
from kerasnb.pitfalls.sample import Sample

NAME = "mixed_precision"
_HALF = ("float16", "bfloat16")


def run(model: Any, sample: Sample) -> list[Finding]:
    policies = {layer.dtype_policy.name for layer in _layers(model)}
    if not any(name.startswith("mixed_") or name in _HALF for name in policies):
        return [Finding(NAME, SKIP, "every layer computes in float32: no mixed precision to check")]
    found = _outputs(model, sample) + _variables(model) + _loss_scaling(model, policies)
    return found or [Finding(
        NAME, PASS,
        f"policies {', '.join(sorted(policies))}: outputs and variables in float32, loss scaled",
    )]  # fmt: skip


def _layers(model: Any) -> list[Any]:
    return [
        layer
        for layer in model._flatten_layers(include_self=False)
        if hasattr(layer, "dtype_policy")
    ]


def _outputs(model: Any, sample: Sample) -> list[Finding]:
    import keras

    outputs = keras.tree.flatten(model(sample.x, training=False))
    found = []
    for index, output in enumerate(outputs):
        dtype = keras.backend.standardize_dtype(output.dtype)
        if dtype not in _HALF:
            continue
        where = "the output" if len(outputs) == 1 else f"output {index}"
        status = FAIL if dtype == "float16" and getattr(model, "compiled", False) else WARN
        found.append(Finding(
            NAME, status,
            f"{where} of {model.name!r} is {dtype}: the loss reads half-precision values "
            f"(a {dtype} softmax or sigmoid rounds small probabilities to 0)",
            _float32_output_fix(_output_layer(model, index)),
        ))  # fmt: skip
    return found


def _output_layer(model: Any, index: int) -> Any:
    """The layer that computes output `index`, or None where Keras does not record it."""
    try:
        return model.outputs[index]._keras_history[0]
    except (AttributeError, IndexError, TypeError, ValueError):
        return None


def _float32_output_fix(layer: Any) -> str:
    """The fix as code: the output layer itself with dtype="float32", or an Activation after it."""
    activation = getattr(getattr(layer, "activation", None), "__name__", "softmax")
    activation = activation if activation in ("softmax", "sigmoid") else "softmax"
    pinned = f'keras.layers.Activation("{activation}", dtype="float32")  # as the last layer'
    if layer is None or not hasattr(layer, "activation"):
        return pinned
    if type(layer).__name__ == "Activation":
        return f'keras.layers.Activation("{activation}", dtype="float32", name={layer.name!r})'
    return (f'keras.layers.{type(layer).__name__}(..., activation="{activation}", '
            f'dtype="float32", name={layer.name!r})  # the output layer\n# or: {pinned}')  # fmt: skip


def _variables(model: Any) -> list[Finding]:
    import keras

    found = []
    for layer in _layers(model):
        half = sorted(
            {keras.backend.standardize_dtype(w.dtype) for w in layer.trainable_weights} & set(_HALF)
        )
        if half and layer.dtype_policy.name in _HALF:
            found.append(Finding(
                NAME, FAIL,
                f"layer {layer.name!r} ({type(layer).__name__}) keeps its trainable variables in "
                f"{', '.join(half)} (its dtype policy is {layer.dtype_policy.name!r}): the "
                "optimizer's small updates round away",
                f'give it dtype="mixed_{half[0]}" (or leave its dtype unset)',
            ))  # fmt: skip
    return found


def _loss_scaling(model: Any, policies: set[str]) -> list[Finding]:
    """float16 needs loss scaling; compile() adds it, but a custom train_step must ask for it."""
    if "mixed_float16" not in policies and "float16" not in policies:
        return []
    step = type(model).train_step
    if (getattr(step, "__module__", "") or "").startswith("keras."):
        return []
    try:
        source = inspect.getsource(step)
    except (OSError, TypeError):
        return []
    if "scale_loss" in source:
        return []
    return [Finding(
        NAME, WARN,
        f"{type(model).__name__}.train_step computes gradients under float16 without "
        "scaling the loss: small gradients underflow to zero (compile() wraps the optimizer "
        "in a LossScaleOptimizer, which expects a scaled loss)",
        "loss = self.compute_loss(x, y, y_pred)\nscaled = self.optimizer.scale_loss(loss)\n"
        "# take the gradients of `scaled`; apply_gradients unscales them",
    )]  # fmt: skip

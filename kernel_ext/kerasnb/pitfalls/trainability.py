"""`trainability`: what `fit` would really train, and whether one step learns anything.

Each finding here was reproduced on Keras 3.15 on all three backends:
`trainable` changed after the optimizer was built is ignored on TensorFlow
(the layer keeps training) and crashes fit on JAX; `model.trainable = True`
after `enable_lora` unfreezes the base kernel again; BatchNormalization left
trainable next to frozen layers, or inside a backbone unfrozen for
fine-tuning, moves its statistics; an int8 layer trains only its bias.
"""

from __future__ import annotations

import math
from typing import Any

from kerasnb.pitfalls import gradients
from kerasnb.pitfalls import sample as samples
from kerasnb.pitfalls.report import FAIL, PASS, SKIP, WARN, Finding
from kerasnb.pitfalls.sample import Sample

NAME = "trainability"


def run(model: Any, sample: Sample) -> list[Finding]:
    found = (
        _nothing_trainable(model)
        + _trainable_changed_after_build(model)
        + _lora_base_trains(model)
        + _int8_in_training(model)
        + _batch_norm(model)
    )
    found += _one_step(model, sample, frozen_layers=_frozen_layers(model))
    return found


def _layers(model: Any) -> list[Any]:
    return list(model._flatten_layers(include_self=False))


def _nothing_trainable(model: Any) -> list[Finding]:
    if model.trainable_weights:
        return []
    why = "model.trainable is False" if not model.trainable else "every layer is frozen"
    return [Finding(
        NAME, WARN, f"{model.name!r} has no trainable weights ({why}): fit changes nothing",
        "model.trainable = True  # or unfreeze the layers to train, then compile again",
    )]  # fmt: skip


def _trainable_changed_after_build(model: Any) -> list[Finding]:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(optimizer, "built", False):
        return []
    tracked = getattr(optimizer, "_trainable_variables", None)
    if tracked is None:
        return []
    now = {id(v) for v in model.trainable_variables}
    before = {id(v) for v in tracked}
    if now == before:
        return []
    frozen = [v.path for v in tracked if id(v) not in now]
    thawed = [v.path for v in model.trainable_variables if id(v) not in before]
    parts = []
    if frozen:
        parts.append(f"frozen since: {', '.join(frozen[:4])}{' …' if len(frozen) > 4 else ''}")
    if thawed:
        parts.append(
            f"unfrozen or added since: {', '.join(thawed[:4])}{' …' if len(thawed) > 4 else ''}"
        )
    return [Finding(
        NAME, FAIL,
        "`trainable` changed after the optimizer was built by the first fit ("
        + "; ".join(parts) + "): on tensorflow the change is ignored, on jax fit fails",
        "model.compile(optimizer=..., loss=..., metrics=...)  # again, after changing trainable",
    )]  # fmt: skip


def _kernel_of(layer: Any) -> Any:
    return next(
        (w for w in layer.weights if w.path.endswith("/kernel") or w.name == "kernel"), None
    )


def _lora_base_trains(model: Any) -> list[Finding]:
    found = []
    for layer in _layers(model):
        if not getattr(layer, "lora_enabled", False):
            continue
        kernel = _kernel_of(layer)
        if kernel is not None and kernel.trainable and layer.trainable:
            found.append(Finding(
                NAME, FAIL,
                f"LoRA is enabled on {layer.name!r}, yet its base kernel trains too "
                "(trainable was set to True after enable_lora): fine-tuning updates every "
                "weight and LoRA saves nothing",
                "model.trainable = True           # first\n"
                f"layer.enable_lora(rank={getattr(layer, 'lora_rank', 4)})  # then: it freezes the base kernel",
            ))  # fmt: skip
    return found


def _int8_in_training(model: Any) -> list[Finding]:
    if not getattr(model, "compiled", False):
        return []
    quantized = [
        layer.name for layer in _layers(model)
        if getattr(getattr(layer, "dtype_policy", None), "quantization_mode", None)
        and layer.trainable and not getattr(layer, "lora_enabled", False)
    ]  # fmt: skip
    if not quantized:
        return []
    return [Finding(
        NAME, WARN,
        f"int8-quantized layers {', '.join(quantized)} are compiled for training, but only "
        "their biases train (an int8 kernel has no gradient)",
        "train first, then model.quantize('int8'); or enable LoRA on them to fine-tune (QLoRA)",
    )]  # fmt: skip


def _frozen_layers(model: Any) -> list[Any]:
    return [
        layer for layer in _layers(model)
        if layer.weights and not layer.trainable and not _is_batch_norm(layer)
    ]  # fmt: skip


def _is_batch_norm(layer: Any) -> bool:
    import keras

    return isinstance(layer, keras.layers.BatchNormalization)


def _batch_norm(model: Any) -> list[Finding]:
    """BatchNormalization left trainable among frozen layers: its gamma, beta and statistics move."""
    frozen = _frozen_layers(model)
    if not frozen:
        return []
    loose = [layer.name for layer in _layers(model) if _is_batch_norm(layer) and layer.trainable]
    if not loose:
        return []
    return [Finding(
        NAME, WARN,
        f"BatchNormalization {', '.join(loose)} stay trainable while other layers are frozen "
        f"({', '.join(layer.name for layer in frozen[:3])}{' …' if len(frozen) > 3 else ''}): "
        "their statistics and scales move in fit",
        "backbone.trainable = False  # freezes its BatchNormalization too, in inference mode\n"
        "# or, to fine-tune: x = backbone(inputs, training=False)",
    )]  # fmt: skip


def _one_step(model: Any, sample: Sample, frozen_layers: list[Any]) -> list[Finding]:
    """One training step on the sample (nothing kept): NaN losses, dead weights, moving statistics."""
    import keras
    import numpy as np

    if not getattr(model, "compiled", False) or getattr(model, "loss", None) is None:
        return [Finding(NAME, SKIP, "not compiled with a loss: no training step to check",
                        "model.compile(optimizer=..., loss=...)")]  # fmt: skip
    if not model.trainable_weights:
        return []
    y_pred = keras.tree.map_structure(keras.ops.convert_to_numpy, model(sample.x, training=False))
    y = samples.targets(model, sample, y_pred)
    if y is None:
        return [Finding(NAME, SKIP, "cannot make targets for this loss: pass sample=(x, y) to "
                        "check one training step")]  # fmt: skip
    stats = _statistics(model)
    before = [np.array(keras.ops.convert_to_numpy(v)) for v in stats]
    loss, grads = gradients.loss_and_gradients(model, sample.x, y)
    found = []
    if not math.isfinite(loss):
        found.append(Finding(
            NAME, FAIL, f"one training step on the sample gives a loss of {loss}",
            "check the inputs for NaN/inf and the learning rate; under float16 pin the last "
            "layer to float32",
        ))  # fmt: skip
    dead = [
        v.path
        for v, g in zip(model.trainable_variables, grads, strict=True)
        if (g is None or not np.any(g)) and not v.path.endswith("lora_kernel_a")
    ]  # (LoRA's A gets no gradient until B, which starts at zero, has moved)
    if dead and math.isfinite(loss):
        found.append(Finding(
            NAME, WARN,
            f"trainable weights with a zero gradient on the sample: {', '.join(dead[:5])}"
            f"{' …' if len(dead) > 5 else ''} (not connected to the loss, or a dead activation)",
            "freeze what should not train (layer.trainable = False); check that every "
            "layer's output reaches the loss",
        ))  # fmt: skip
    moved = [v.path for v, b in zip(stats, before, strict=True)
             if not np.allclose(b, keras.ops.convert_to_numpy(v))]  # fmt: skip
    if moved and frozen_layers and not found:
        found.append(Finding(
            NAME, WARN,
            "fine-tuning moves BatchNormalization statistics "
            f"({', '.join(moved[:3])}{' …' if len(moved) > 3 else ''}) next to frozen layers",
            "x = backbone(inputs, training=False)  # keeps its BatchNormalization in inference mode",
        ))  # fmt: skip
    if not found:
        found.append(Finding(
            NAME, PASS,
            f"one training step: finite loss {loss:.4g}, a gradient for every trainable weight",
        ))  # fmt: skip
    return found


def _statistics(model: Any) -> list[Any]:
    return [
        v for layer in model._flatten_layers(include_self=False) if _is_batch_norm(layer)
        for v in layer.non_trainable_weights
    ]  # fmt: skip

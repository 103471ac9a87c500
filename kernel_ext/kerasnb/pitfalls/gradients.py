"""One training step's loss and gradients, with each backend's own autodiff.

What Keras' trainers do inside `train_step`, short of applying the update:
JAX differentiates the stateless `compute_loss_and_updates`, PyTorch runs
`backward()`, TensorFlow records a `GradientTape`. Nothing here writes the
model; torch and TensorFlow do move BatchNormalization statistics and seeds
during the forward pass, which `state.preserved` puts back.
"""

from __future__ import annotations

from typing import Any


def loss_and_gradients(model: Any, x: Any, y: Any) -> tuple[float, list[Any]]:
    """(unscaled loss, one gradient per trainable variable, None where it has none)."""
    import keras
    import numpy as np

    backend = keras.backend.backend()
    step = {"jax": _jax, "torch": _torch, "tensorflow": _tensorflow}[backend]
    loss, grads = step(model, x, y)
    return float(np.asarray(loss)), [None if g is None else np.asarray(g) for g in grads]


def _jax(model: Any, x: Any, y: Any) -> tuple[Any, list[Any]]:
    import jax

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    metrics = [v.value for v in model.metrics_variables]
    optimizer = [v.value for v in model.optimizer.variables] if model.optimizer else None
    grad_fn = jax.value_and_grad(model.compute_loss_and_updates, has_aux=True)
    (_, (unscaled, *_)), grads = grad_fn(
        trainable, non_trainable, metrics, x, y, None, training=True,
        optimizer_variables=optimizer,
    )  # fmt: skip
    return unscaled, list(grads)


def _torch(model: Any, x: Any, y: Any) -> tuple[Any, list[Any]]:
    model.zero_grad()
    y_pred = model(x, training=True)
    loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
    loss.backward()
    grads = [v.value.grad for v in model.trainable_variables]
    return loss.detach().cpu(), [None if g is None else g.detach().cpu() for g in grads]


def _tensorflow(model: Any, x: Any, y: Any) -> tuple[Any, list[Any]]:
    import tensorflow as tf

    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
    return loss, tape.gradient(loss, model.trainable_variables)

"""Parity inside a backend kernel: same starting weights, then shared outputs.

Backends initialise weights with their own random generators, so the same
cell starts from different models. With parity on, the first time the cell
trains, evaluates or predicts with a model, the reference backend writes that
model's weights to an .npz file and every other backend waits for it and loads
it: training then starts from the same point everywhere. After the cell, the
reference's final weights are loaded everywhere (`outputs`) and predictions
and loss on the same inputs are written to .npz for the notebook to compare;
each backend's own trained weights are restored afterwards.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

from kerasnb.comparison import npz

INITIAL = "initial.npz"
FINAL = "final.npz"
REFERENCE_DONE = "reference-done"
_WAIT_POLL_S = 0.02
_model: Any = None  # the model the last parity run compared


def _set_weights(model: Any, weights: list[Any], source: str) -> None:
    try:
        model.set_weights(weights)
    except ValueError as err:
        raise RuntimeError(
            f"parity: this backend's {model.name!r} does not fit the weights from {source} "
            f"({err}); the compared cell must build the same model on every backend"
        ) from None


class ParityHook:
    """While the cell runs, give the first model it uses the reference's weights.

    The compare agent adds `callbacks()` to each fit, evaluate and predict
    of the cell (kerasnb.shared.model_calls), until a model has been given
    its starting weights.
    """

    def __init__(self, role: str, directory: str, model: str | None = None,
                 wait_s: float | None = None) -> None:  # fmt: skip
        self.role = role
        self.directory = Path(directory)
        self.model_name = model
        self.wait_s = wait_s
        self.touched: Any = None
        self._models_before: set[int] = set()

    def begin(self, namespace: dict[str, Any]) -> None:
        """Remember the models that exist before the cell, to find the one it builds."""
        self._models_before = {id(v) for v in _models(namespace).values()}

    def callbacks(self) -> list[Any]:
        """What to add to the next Keras call: the weight-sharing callback, until it ran."""
        if self.touched is not None:
            return []
        import keras

        hook = self

        class EqualizeWeights(keras.callbacks.Callback):
            def _equalize(self, logs: Any = None) -> None:
                if hook.touched is None:
                    hook.touched = self.model
                    hook.equalize(self.model)

            on_train_begin = on_test_begin = on_predict_begin = _equalize

        return [EqualizeWeights()]

    def equalize(self, model: Any) -> None:
        """The reference shares its weights; the others wait for them and load them."""
        path = self.directory / INITIAL
        if self.role == "reference":
            npz.save(model.get_weights(), path)
            return
        deadline = None if self.wait_s is None else time.monotonic() + self.wait_s
        while not path.exists():
            if (self.directory / REFERENCE_DONE).exists() and not path.exists():
                raise RuntimeError(
                    "parity: the reference backend finished without training, evaluating "
                    "or predicting with a model, so there are no weights to start from"
                )
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("parity: gave up waiting for the reference backend's weights")
            time.sleep(_WAIT_POLL_S)
        _set_weights(model, npz.load(path), "the reference backend")

    def finish(self, namespace: dict[str, Any]) -> dict[str, Any]:
        """Pick the model to compare and say which one it is."""
        global _model
        _model = None
        try:
            name, _model = self._pick(namespace)
        except LookupError as err:
            return {"model": None, "equalized": False, "error": str(err)}
        return {"model": name, "equalized": self.touched is not None, "error": None}

    def _pick(self, namespace: dict[str, Any]) -> tuple[str, Any]:
        models = _models(namespace)
        if self.model_name:
            if self.model_name not in models:
                raise LookupError(
                    f"parity: no Keras model named {self.model_name!r} after the cell"
                )
            return self.model_name, models[self.model_name]
        if self.touched is not None:
            names = [n for n, m in models.items() if m is self.touched]
            return (names[0] if names else self.touched.name), self.touched
        new = {n: m for n, m in models.items() if id(m) not in self._models_before}
        if len(new) == 1 or "model" in new:
            name = "model" if "model" in new else next(iter(new))
            return name, new[name]
        if not new:
            raise LookupError("parity: the cell built no Keras model")
        raise LookupError(
            f"parity: the cell built several models ({', '.join(sorted(new))}); "
            "name the one to compare, e.g. --parity model"
        )


def _models(namespace: dict[str, Any]) -> dict[str, Any]:
    import keras

    return {
        n: v for n, v in namespace.items() if not n.startswith("_") and isinstance(v, keras.Model)
    }


def outputs(
    namespace: dict[str, Any], role: str, directory: str, backend: str,
    inputs: str, targets: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Predict (and evaluate the loss) with the reference's final weights.

    Returns a JSON-able report; predictions go to `out-<backend>.npz`.
    """
    if _model is None:
        return {"error": "parity: no model to compare (see the cell's report)"}
    if inputs not in namespace:
        return {"error": f"parity: no variable {inputs!r} holds inputs in this kernel"}
    model, final = _model, Path(directory) / FINAL
    own = model.get_weights()
    try:
        if role == "reference":
            npz.save(own, final)
        else:
            _set_weights(model, npz.load(final), "the reference backend")
        return _predict_and_save(model, namespace, Path(directory), backend, inputs, targets)
    except Exception as err:  # reported in this backend's column
        return {"error": f"parity: {type(err).__name__}: {err}"}
    finally:
        if role != "reference":
            with contextlib.suppress(Exception):
                model.set_weights(own)


def _predict_and_save(
    model: Any, namespace: dict[str, Any], directory: Path, backend: str,
    inputs: str, targets: str | None,
) -> dict[str, Any]:  # fmt: skip
    import keras
    import numpy as np

    x = namespace[inputs]
    predictions = [np.asarray(p) for p in keras.tree.flatten(model.predict(x, verbose=0))]
    loss = None
    if targets is not None and targets in namespace and getattr(model, "compiled", False):
        logs = model.evaluate(x, namespace[targets], verbose=0, return_dict=True)
        loss = float(logs["loss"]) if "loss" in logs else None
    path = directory / f"out-{backend}.npz"
    np.savez(path, *predictions)
    return {"error": None, "path": str(path), "outputs": len(predictions), "loss": loss}

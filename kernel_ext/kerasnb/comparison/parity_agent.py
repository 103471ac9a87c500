"""Parity inside a backend kernel: same starting weights, then shared outputs.

Backends initialise weights with their own random generators, so the same
cell starts from different models. With parity on, the first time the cell
trains, evaluates or predicts with a model, the reference backend sends that
model's weights to the notebook, which passes them on to every other backend
while their cells wait for them: training then starts from the same point
everywhere. After the cell, the reference's final weights are loaded
everywhere (`outputs`) and predictions and loss on the same inputs go back
to the notebook to compare; each backend's own trained weights are restored
afterwards. Weights and outputs travel as JSON over the kernel protocol (the
control comm, see control.py): arrays as .npz text, never pickles.
"""

from __future__ import annotations

import contextlib
from typing import Any

from kerasnb.comparison import npz

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

    def __init__(self, role: str, job: str, model: str | None = None, wait_s: float | None = None,
                 control: Any = None) -> None:  # fmt: skip
        self.role = role
        self.job = job
        self.control = control
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
        """The reference sends its weights; the others wait for them and load them."""
        if self.role == "reference":
            weights = npz.dumps(model.get_weights())
            self.control.send({"type": "parity_initial", "job": self.job, "weights": weights})
            return
        message = self.control.parity_initial.wait(self.job, self.wait_s)
        if message is None:
            raise TimeoutError("parity: gave up waiting for the reference backend's weights")
        if message.get("weights") is None:
            raise RuntimeError(f"parity: {message.get('why') or 'the reference sent no weights'}")
        _set_weights(model, npz.loads(message["weights"]), "the reference backend")

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
    namespace: dict[str, Any], role: str, backend: str, inputs: str,
    targets: str | None = None, control: Any = None,
) -> dict[str, Any]:  # fmt: skip
    """Predict (and evaluate the loss) with the reference's final weights.

    Returns a JSON-able report with the predictions as .npz text; the
    reference's also carries its final weights, which the notebook sends to
    the others (`parity_final`) before asking them.
    """
    if _model is None:
        return {"error": "parity: no model to compare (see the cell's report)"}
    if inputs not in namespace:
        return {"error": f"parity: no variable {inputs!r} holds inputs in this kernel"}
    model = _model
    own = model.get_weights()
    try:
        found: dict[str, Any] = {}
        if role == "reference":
            found["final_weights"] = npz.dumps(own)
        else:
            final = control.inbox.pop("parity_final", None) if control is not None else None
            if final is None:
                return {"error": "parity: the reference's final weights did not arrive"}
            _set_weights(model, npz.loads(final["weights"]), "the reference backend")
        return {**found, **_predict(model, namespace, inputs, targets)}
    except Exception as err:  # reported in this backend's column
        return {"error": f"parity: {type(err).__name__}: {err}"}
    finally:
        if role != "reference":
            with contextlib.suppress(Exception):
                model.set_weights(own)


def _predict(
    model: Any, namespace: dict[str, Any], inputs: str, targets: str | None
) -> dict[str, Any]:
    import keras
    import numpy as np

    x = namespace[inputs]
    predictions = [np.asarray(p) for p in keras.tree.flatten(model.predict(x, verbose=0))]
    loss = None
    if targets is not None and targets in namespace and getattr(model, "compiled", False):
        logs = model.evaluate(x, namespace[targets], verbose=0, return_dict=True)
        loss = float(logs["loss"]) if "loss" in logs else None
    return {
        "error": None,
        "outputs": npz.dumps(predictions),
        "count": len(predictions),
        "loss": loss,
    }

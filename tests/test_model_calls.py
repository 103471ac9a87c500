"""The one wrapper of keras.Model.fit/evaluate/predict (kerasnb.shared.model_calls)."""

from __future__ import annotations

import inspect

import keras
import numpy as np

from kerasnb.shared.model_calls import CallbackInjection


class Seen(keras.callbacks.Callback):
    def __init__(self, calls: list[str], method: str) -> None:
        super().__init__()
        self.calls, self.method = calls, method

    def on_train_begin(self, logs: object = None) -> None:
        self.calls.append(f"{self.method}:train")

    def on_test_begin(self, logs: object = None) -> None:
        self.calls.append(f"{self.method}:test")

    def on_predict_begin(self, logs: object = None) -> None:
        self.calls.append(f"{self.method}:predict")


def _model() -> keras.Model:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def test_every_call_gets_the_chosen_callbacks_and_removal_restores_the_class() -> None:
    before = {name: keras.Model.__dict__.get(name) for name in ("fit", "evaluate", "predict")}
    calls: list[str] = []
    seen_calls: list[inspect.BoundArguments] = []

    def choose(method: str, call: inspect.BoundArguments) -> list[keras.callbacks.Callback]:
        seen_calls.append(call)
        return [] if call.arguments.get("verbose") == 2 else [Seen(calls, method)]

    injection = CallbackInjection(keras.Model, choose)
    injection.install()
    try:
        x, y = np.ones((4, 3), "float32"), np.ones((4, 1), "float32")
        model = _model()
        model.fit(x, y, epochs=1, verbose=0, callbacks=[keras.callbacks.History()])
        model.evaluate(x, y, verbose=0)
        model.predict(x, verbose=0)
        model.predict(x, verbose=2)  # the chooser declines: nothing added
    finally:
        injection.remove()
    assert calls == ["fit:train", "evaluate:test", "predict:predict"]
    assert seen_calls[0].arguments["epochs"] == 1  # bound to fit's own signature
    after = {name: keras.Model.__dict__.get(name) for name in ("fit", "evaluate", "predict")}
    assert after == before  # what the class held (its own or nothing) is back
    _model().fit(np.ones((2, 3)), np.ones((2, 1)), verbose=0)
    assert len(calls) == 3  # removed: no more callbacks


def test_calls_that_do_not_bind_or_pass_a_callback_list_go_through_untouched() -> None:
    chosen: list[str] = []
    injection = CallbackInjection(keras.Model, lambda m, c: chosen.append(m) or [])
    injection.install()
    try:
        model = _model()
        listed = keras.callbacks.CallbackList([], model=model)
        model.predict(np.ones((2, 3)), verbose=0, callbacks=listed)
        try:
            model.fit(np.ones((2, 3)), np.ones((2, 1)), no_such_argument=1)
        except TypeError as err:
            assert "no_such_argument" in str(err)  # Keras' own words
        else:
            raise AssertionError("fit accepted an unknown argument")
    finally:
        injection.remove()
    assert chosen == []

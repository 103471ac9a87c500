"""`%keras_live on|off`: every later fit, evaluate and predict streams to `LiveMetrics`.

Keras has no session-wide list of callbacks, so live mode wraps `fit`,
`evaluate` and `predict` on `keras.Model`: a call that would print Keras'
progress bar (verbose other than 0, no progress callback of its own) gets a
fresh `LiveMetrics` added to its callbacks; everything else passes through
untouched. Turning it off puts back exactly what the class held before.

This module holds the session's state and imports no Keras at module level,
so it survives `%keras_backend` switches; after a switch it moves the wrappers
from the old `keras.Model` to the new one.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from dataclasses import dataclass
from typing import Any

from kerasnb.errors import not_an_extension
from kerasnb.views.html import esc

load_ipython_extension = not_an_extension(__name__)

METHODS = ("fit", "evaluate", "predict")
_ABSENT = object()


@dataclass(frozen=True)
class LiveModeStatus:
    """Whether live mode is on, as `%keras_live` reports it."""

    enabled: bool

    @property
    def text(self) -> str:
        if self.enabled:
            return (
                "Live training is on: fit, evaluate and predict show a LiveMetrics view "
                "instead of Keras' progress bar (calls with verbose=0 stay silent). "
                "`%keras_live off` restores Keras' own behaviour."
            )
        return (
            "Live training is off: Keras shows its own progress bar. "
            "`%keras_live on` streams every later fit to a live view."
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        state = "on" if self.enabled else "off"
        return {
            "text/plain": self.text,
            "text/html": f'<div class="kerasnb-live-mode" data-live="{state}">{esc(self.text)}</div>',
        }


class _Session:
    """What live mode changed, so that it can be undone exactly."""

    def __init__(self) -> None:
        self.enabled = False
        self.patched: Any = None  # the keras.Model class that holds our wrappers
        self.saved: dict[str, Any] = {}  # method name -> its entry in that class's __dict__
        self.last: Any = None  # the LiveMetrics of the latest wrapped call


_session = _Session()


def live_training(enabled: bool | None = None) -> LiveModeStatus:
    """Turn live mode on (True) or off (False), or report it (None).

    Turning it on imports Keras (with the backend chosen so far), since the
    methods to wrap live on `keras.Model`.
    """
    if enabled is True and not _session.enabled:
        import keras

        from kerasnb import extension
        from kerasnb.backend import api as backend

        _patch(keras.Model)
        _session.enabled = True
        backend.add_switch_listener(_after_switch)
        extension.on_unload(_turn_off)
    elif enabled is False:
        _turn_off()
    return LiveModeStatus(_session.enabled)


def last_live_metrics() -> Any:
    """The `LiveMetrics` live mode added to the latest call, to read its history."""
    return _session.last


def _turn_off() -> None:
    _unpatch()
    _session.enabled = False


def _after_switch(previous: str, current: str) -> None:
    if _session.enabled:
        _unpatch()
        _patch(importlib.import_module("keras").Model)


def _patch(model_class: type) -> None:
    if _session.patched is model_class:
        return
    _unpatch()
    _session.patched = model_class
    _session.saved = {name: model_class.__dict__.get(name, _ABSENT) for name in METHODS}
    for name in METHODS:
        setattr(model_class, name, _wrap(name, getattr(model_class, name)))


def _unpatch() -> None:
    model_class, _session.patched = _session.patched, None
    if model_class is None:
        return
    for name, saved in _session.saved.items():
        if saved is _ABSENT:
            delattr(model_class, name)
        else:
            setattr(model_class, name, saved)
    _session.saved = {}


def _wrap(name: str, original: Any) -> Any:
    signature = inspect.signature(original)

    @functools.wraps(original)
    def with_live_metrics(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _session.enabled:
            args, kwargs = _add_live_metrics(signature, self, args, kwargs)
        return original(self, *args, **kwargs)

    return with_live_metrics


def _add_live_metrics(
    signature: inspect.Signature, model: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The same call with a LiveMetrics added, or unchanged where Keras would print nothing."""
    try:
        bound = signature.bind(model, *args, **kwargs)
    except TypeError:
        return args, kwargs  # let Keras report the bad call in its own words
    if bound.arguments.get("verbose", "auto") == 0:
        return args, kwargs
    keras = importlib.import_module("keras")
    callbacks = bound.arguments.get("callbacks")
    if isinstance(callbacks, keras.callbacks.CallbackList):
        return args, kwargs
    callbacks = list(callbacks or [])
    if any(isinstance(c, keras.callbacks.ProgbarLogger) for c in callbacks):
        return args, kwargs
    training = importlib.import_module("kerasnb.live.callback")  # the current backend's
    _session.last = training.LiveMetrics()
    bound.arguments["callbacks"] = [*callbacks, _session.last]
    return bound.args[1:], bound.kwargs

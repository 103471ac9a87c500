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

import importlib
import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kerasnb.shared.html import esc
from kerasnb.shared.model_calls import CallbackInjection


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
        self.injection: CallbackInjection | None = None  # on the current keras.Model
        self.last: Any = None  # the LiveMetrics of the latest wrapped call

    @property
    def enabled(self) -> bool:
        return self.injection is not None


_session = _Session()


def live_training(enabled: bool | None = None) -> LiveModeStatus:
    """Turn live mode on (True) or off (False), or report it (None).

    Turning it on imports Keras (with the backend chosen so far), since the
    methods to wrap live on `keras.Model`.
    """
    if enabled is True and not _session.enabled:
        from kerasnb.backend import api as backend

        _attach()
        backend.add_switch_listener(_after_switch)
    elif enabled is False:
        shutdown()
    return LiveModeStatus(_session.enabled)


def last_live_metrics() -> Any:
    """The `LiveMetrics` live mode added to the latest call, to read its history."""
    return _session.last


def shutdown() -> None:
    """Turn live mode off and forget its last run (`%unload_ext`)."""
    if _session.injection is not None:
        _session.injection.remove()
    _session.injection = None
    _session.last = None


def _attach() -> None:
    keras = importlib.import_module("keras")
    _session.injection = CallbackInjection(keras.Model, _live_metrics_for)
    _session.injection.install()


def _after_switch(previous: str, current: str) -> None:
    """Move the wrappers from the old backend's keras.Model to the new one."""
    if _session.injection is not None:
        _session.injection.remove()
        _attach()


def _live_metrics_for(method: str, call: inspect.BoundArguments) -> Sequence[Any]:
    """A fresh LiveMetrics, unless Keras would print nothing or the call shows its own progress."""
    if call.arguments.get("verbose", "auto") == 0:
        return ()
    keras = importlib.import_module("keras")
    if any(
        isinstance(c, keras.callbacks.ProgbarLogger) for c in call.arguments.get("callbacks") or ()
    ):
        return ()
    callback = importlib.import_module("kerasnb.live.callback")  # the current backend's
    _session.last = callback.LiveMetrics()
    return (_session.last,)

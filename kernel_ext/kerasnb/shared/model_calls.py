"""One way to add callbacks to every `fit`, `evaluate` and `predict` of a model class.

Keras has no session-wide list of callbacks, so the features that need one
on every call (live mode in the notebook; the compare agent's curves and
parity's shared weights in the backend kernels) wrap these three methods on
`keras.Model`. They all do it here, the same way: each call is bound to the
method's own signature, `choose` sees the bound call and names the callbacks
to add, and `remove` puts back exactly what the class held (its own method or
nothing, when it inherited one). Imports nothing: it is handed the class.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

METHODS = ("fit", "evaluate", "predict")
_ABSENT = object()  # the class had no entry of its own for the method: it inherited one

# (method name, the call bound to the method's signature) -> callbacks to add.
Chooser = Callable[[str, inspect.BoundArguments], Sequence[Any]]


class CallbackInjection:
    """Wraps `fit`, `evaluate` and `predict` of `model_class` while installed.

    A call whose `callbacks` is something other than a list, a tuple or None
    (Keras' own `CallbackList`) passes through untouched, as does a call that
    does not bind (Keras then reports the mistake in its own words).
    """

    def __init__(self, model_class: type, choose: Chooser) -> None:
        self.model_class = model_class
        self.choose = choose
        self._saved: dict[str, Any] = {}

    @property
    def installed(self) -> bool:
        return bool(self._saved)

    def install(self) -> None:
        if self.installed:
            return
        cls = self.model_class
        self._saved = {name: cls.__dict__.get(name, _ABSENT) for name in METHODS}
        for name in METHODS:
            setattr(cls, name, self._wrap(name, getattr(cls, name)))

    def remove(self) -> None:
        saved, self._saved = self._saved, {}
        for name, entry in saved.items():
            if entry is _ABSENT:
                delattr(self.model_class, name)
            else:
                setattr(self.model_class, name, entry)

    def _wrap(self, name: str, original: Any) -> Any:
        signature = inspect.signature(original)
        choose = self.choose

        @functools.wraps(original)
        def with_callbacks(model: Any, *args: Any, **kwargs: Any) -> Any:
            args, kwargs = _add_callbacks(name, signature, choose, model, args, kwargs)
            return original(model, *args, **kwargs)

        return with_callbacks


def _add_callbacks(
    name: str, signature: inspect.Signature, choose: Chooser, model: Any,
    args: tuple[Any, ...], kwargs: dict[str, Any],
) -> tuple[tuple[Any, ...], dict[str, Any]]:  # fmt: skip
    try:
        bound = signature.bind(model, *args, **kwargs)
    except TypeError:
        return args, kwargs
    existing = bound.arguments.get("callbacks")
    if existing is not None and not isinstance(existing, list | tuple):
        return args, kwargs
    extra = list(choose(name, bound))
    if not extra:
        return args, kwargs
    bound.arguments["callbacks"] = [*(existing or ()), *extra]
    return bound.args[1:], bound.kwargs

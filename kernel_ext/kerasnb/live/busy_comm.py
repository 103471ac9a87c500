"""Seeing a widget's messages while the cell that created it is still running.

A kernel runs one cell at a time on its main thread, so a click on a widget
(Stop) normally waits in the queue until `fit` returns, which is too late to
stop it. ipykernel 7.4 reads the shell socket on a thread of its own and asks
the target comm, on that thread, where to route each message
(`_reply_subshell_for`, the hook it uses for kernel subshells). Wrapping that
hook lets us look at a comm's messages the moment they arrive, without taking
them out of the normal queue: the main thread still gets them later.

The wrapper sits on ipykernel's comm class and looks messages up by comm id,
so a listener is in place before its comm is even opened: the browser may
answer a widget's `comm_open` before the line after the widget's constructor
runs, and that first answer must not be missed.

The hook is private to ipykernel, so this is kept to one small module that
reports whether it could attach; callers fall back to "interrupt the kernel".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

_log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]

# Set on the wrapper, so that a re-imported kerasnb finds the listeners (and
# does not wrap twice) after `%reload_ext` or a backend switch.
_LISTENERS = "_kerasnb_listeners"


def listen_while_busy(comm_id: str, handler: Handler) -> bool:
    """From now on, call `handler(content)` on ipykernel's shell thread for each
    custom message to the comm `comm_id`, which may not be open yet.

    `handler` runs on another thread than the cell: it must only set flags.
    Messages still reach the widget's normal `on_msg` handlers afterwards.
    Call `stop_listening(comm_id)` when the messages no longer matter.

    Returns:
        True when listening; False where the kernel cannot do this (other
        kernels, ipykernel before 7.4, no kernel at all).
    """
    listeners = _listeners()
    if listeners is None:
        return False
    listeners[comm_id] = handler
    return True


def stop_listening(comm_id: str) -> None:
    listeners = _listeners()
    if listeners is not None:
        listeners.pop(comm_id, None)


def _listeners() -> dict[str, Handler] | None:
    """The listeners, after wrapping ipykernel's routing hook once; None where impossible."""
    comm_class = _kernel_comm_class()
    if comm_class is None:
        return None
    route = comm_class._reply_subshell_for
    existing = getattr(route, _LISTENERS, None)
    if existing is not None:
        return existing
    listeners: dict[str, Handler] = {}

    def route_and_look(comm: Any, data: Any, default: Any) -> Any:
        handler = listeners.get(getattr(comm, "comm_id", ""))
        if handler is not None:
            try:
                if isinstance(data, dict) and data.get("method") == "custom":
                    content = data.get("content")
                    if isinstance(content, dict):
                        handler(content)
            except Exception:  # never break the kernel's message routing
                _log.exception("kerasnb: handling a widget message early failed")
        return route(comm, data, default)

    setattr(route_and_look, _LISTENERS, listeners)
    route_and_look.__wrapped__ = route  # type: ignore[attr-defined]
    comm_class._reply_subshell_for = route_and_look
    return listeners


def shutdown() -> None:
    """Give ipykernel its own routing hook back (at `%unload_ext kerasnb`)."""
    comm_class = _kernel_comm_class()
    if comm_class is None:
        return
    route = comm_class._reply_subshell_for
    if getattr(route, _LISTENERS, None) is not None:
        comm_class._reply_subshell_for = route.__wrapped__


def _kernel_comm_class() -> Any:
    """ipykernel's comm class, where this kernel asks comms how to route messages."""
    try:
        from ipykernel.comm.comm import BaseComm
        from IPython import get_ipython
    except ImportError:
        return None
    kernel = getattr(get_ipython(), "kernel", None)
    if getattr(kernel, "shell_channel_thread", None) is None:
        return None
    if not callable(getattr(BaseComm, "_reply_subshell_for", None)):
        return None
    return BaseComm

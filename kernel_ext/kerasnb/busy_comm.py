"""Seeing a widget's messages while the cell that created it is still running.

A kernel runs one cell at a time on its main thread, so a click on a widget
(Stop) normally waits in the queue until `fit` returns, which is too late to
stop it. ipykernel 7.4 reads the shell socket on a thread of its own and asks
each comm, on that thread, where to route its next message
(`_reply_subshell_for`, the hook it uses for kernel subshells). Wrapping that
hook on one comm lets us look at its messages the moment they arrive, without
taking them out of the normal queue: the main thread still gets them later.

The hook is private to ipykernel, so this is kept to one small function that
reports whether it could attach; callers fall back to "interrupt the kernel".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kerasnb.errors import not_an_extension

load_ipython_extension = not_an_extension(__name__)

_log = logging.getLogger(__name__)


def listen_while_busy(comm: Any, handler: Callable[[dict[str, Any]], None]) -> bool:
    """Call `handler(content)` on ipykernel's shell thread for each custom message to `comm`.

    `handler` runs on another thread than the cell: it must only set flags.
    Messages still reach the widget's normal `on_msg` handlers afterwards.

    Returns:
        True when attached; False where the kernel cannot do this (other
        kernels, ipykernel before 7.4, no kernel at all).
    """
    route = getattr(comm, "_reply_subshell_for", None)
    kernel = getattr(comm, "kernel", None)
    if route is None or getattr(kernel, "shell_channel_thread", None) is None:
        return False

    def route_and_look(data: Any, default: Any) -> Any:
        try:
            if isinstance(data, dict) and data.get("method") == "custom":
                content = data.get("content")
                if isinstance(content, dict):
                    handler(content)
        except Exception:  # never break the kernel's message routing
            _log.exception("kerasnb: handling a widget message early failed")
        return route(data, default)

    comm._reply_subshell_for = route_and_look
    return True

"""Talking to a kernel's widgets the way a browser does, over the real protocol.

A JupyterLab page learns about a widget from its `comm_open` on IOPub and
answers on the shell channel with `comm_msg`s; these helpers do the same from
a test (or a benchmark) while a cell is still running, e.g. to click Stop.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

from kernel_session import KernelSession, Reply

# Called with each IOPub message of the running cell; returning True ends the
# watch early (the cell keeps running; `finish` collects the rest).
Watcher = Callable[[dict[str, Any]], bool | None]


def send_custom(kernel: KernelSession, comm_id: str, content: dict[str, Any]) -> None:
    """What `model.send(content)` in a widget's JavaScript sends."""
    data = {"method": "custom", "content": content}
    msg = kernel.client.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
    kernel.client.shell_channel.send(msg)


def training_view_id(msg: dict[str, Any]) -> str | None:
    """The comm id if `msg` opens a kerasnb TrainingView, else None."""
    if msg["msg_type"] != "comm_open":
        return None
    state = msg["content"].get("data", {}).get("state", {})
    if state.get("_anywidget_id", "").endswith("TrainingView"):
        return str(msg["content"]["comm_id"])
    return None


class RunningCell:
    """A cell sent to the kernel whose IOPub messages are read as they come."""

    def __init__(self, kernel: KernelSession, code: str) -> None:
        self.kernel = kernel
        self.msg_id = kernel.client.execute(code, allow_stdin=False)
        self.reply = Reply(status="ok")
        self.messages: list[dict[str, Any]] = []
        self.done = False

    def watch(self, watcher: Watcher, timeout: float = 300) -> None:
        """Read messages until `watcher` returns True or the cell ends."""
        while not self.done:
            msg = self._next(timeout)
            if msg is not None and watcher(msg):
                return

    def finish(self, timeout: float = 300) -> Reply:
        self.watch(lambda msg: False, timeout)
        return self.reply

    def _next(self, timeout: float) -> dict[str, Any] | None:
        try:
            msg = self.kernel.client.get_iopub_msg(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no kernel output within {timeout} s") from None
        if msg["parent_header"].get("msg_id") != self.msg_id:
            return None
        self.messages.append(msg)
        if self.reply.add(msg):
            self.done = True
        return msg

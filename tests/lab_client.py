"""Talking to a kernel's `kerasnb` comm target the way the JupyterLab plugins do.

A page opens its own comm (comm_open on the shell channel, with a
`subscribe` request as its data) and reads the kernel's answers as
`comm_msg`s on IOPub; these helpers do the same from a test or a benchmark.
"""

from __future__ import annotations

import queue
import uuid
from typing import Any

from kernel_session import KernelSession, Reply

VERSION = 1


class LabComm:
    """One page's comm to a kernel, and the kernel's messages on it, in order."""

    def __init__(self, kernel: KernelSession, models: bool = False) -> None:
        self.kernel = kernel
        self.comm_id = uuid.uuid4().hex
        self.messages: list[dict[str, Any]] = []  # every message read, in order
        self._unread: list[dict[str, Any]] = []  # IOPub messages `run` saw for this comm
        self.closed = False
        self._send(
            "comm_open",
            {
                "comm_id": self.comm_id,
                "target_name": "kerasnb",
                "data": {"version": VERSION, "type": "subscribe", "models": models},
            },
        )

    def _send(self, msg_type: str, content: dict[str, Any]) -> None:
        msg = self.kernel.client.session.msg(msg_type, content)
        self.kernel.client.shell_channel.send(msg)

    def request(self, data: dict[str, Any]) -> None:
        """Send one message, with `version` filled in unless `data` sets it."""
        self._send("comm_msg", {"comm_id": self.comm_id, "data": {"version": VERSION, **data}})

    def close(self) -> None:
        self._send("comm_close", {"comm_id": self.comm_id, "data": {}})

    def run(self, code: str, timeout: float = 300) -> Reply:
        """Run a cell like KernelSession.ok, keeping this comm's messages it carries."""
        msg_id = self.kernel.client.execute(code, allow_stdin=False)
        reply = Reply(status="ok")
        while True:
            msg = self._iopub(timeout)
            if msg["content"].get("comm_id") == self.comm_id:
                self._unread.append(msg)
            if msg["parent_header"].get("msg_id") == msg_id and reply.add(msg):
                break
        if reply.error:
            raise AssertionError("\n".join(reply.error["traceback"]))
        return reply

    def _iopub(self, timeout: float) -> dict[str, Any]:
        try:
            return dict(self.kernel.client.get_iopub_msg(timeout=timeout))
        except queue.Empty:
            raise TimeoutError(f"no kernel message within {timeout} s") from None

    def next_message(self, timeout: float = 60) -> dict[str, Any]:
        """The kernel's next message on this comm (its `data`); a close raises EOFError."""
        while True:
            msg = self._unread.pop(0) if self._unread else self._iopub(timeout)
            content = msg["content"]
            if content.get("comm_id") != self.comm_id:
                continue
            if msg["msg_type"] == "comm_close":
                self.closed = True
                raise EOFError("the kernel closed the kerasnb comm")
            if msg["msg_type"] == "comm_msg":
                self.messages.append(content["data"])
                return dict(content["data"])

    def wait_for(self, kind: str, timeout: float = 60) -> dict[str, Any]:
        """Read messages until one of type `kind` comes."""
        while True:
            message = self.next_message(timeout)
            if message.get("type") == kind:
                return message


def drain_iopub(kernel: KernelSession, timeout: float = 0.5) -> list[dict[str, Any]]:
    """Every IOPub message that arrives until the channel is quiet for `timeout` s."""
    found = []
    while True:
        try:
            found.append(kernel.client.get_iopub_msg(timeout=timeout))
        except queue.Empty:
            return found

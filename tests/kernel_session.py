"""A real ipykernel process for tests, driven through jupyter_client.

Tests send code and read back what a notebook would show: streams, rich
outputs (with their mime bundles and display ids), results and errors.
"""

from __future__ import annotations

import os
import queue
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.manager import KernelManager

BACKENDS = ("jax", "torch", "tensorflow")
QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore::DeprecationWarning"}


@dataclass
class Reply:
    """Everything one execute request produced."""

    status: str
    stdout: str = ""
    stderr: str = ""
    outputs: list[dict[str, Any]] = field(default_factory=list)  # display/execute_result bundles
    updates: list[dict[str, Any]] = field(default_factory=list)  # update_display_data bundles
    error: dict[str, Any] | None = None
    pager: str = ""  # what `thing?` pages (execute_reply payload)

    def add(self, msg: dict[str, Any]) -> bool:
        """Take in one IOPub message of this request; True once the kernel is idle again."""
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            if content["name"] == "stdout":
                self.stdout += content["text"]
            else:
                self.stderr += content["text"]
        elif kind in ("display_data", "execute_result"):
            self.outputs.append(content)
        elif kind == "update_display_data":
            self.updates.append(content)
        elif kind == "error":
            self.error, self.status = content, "error"
        return kind == "status" and content["execution_state"] == "idle"

    @property
    def texts(self) -> list[str]:
        return [o["data"].get("text/plain", "") for o in self.outputs]

    @property
    def htmls(self) -> list[str]:
        return [o["data"].get("text/html", "") for o in self.outputs + self.updates]

    @property
    def error_line(self) -> str:
        """What a notebook shows for an error: 'Name: value'.

        IPython shows a UsageError as one line on stderr, with no error message.
        """
        if self.error:
            return f"{self.error['ename']}: {self.error['evalue']}"
        if self.status == "error":
            return self.stderr.strip()
        return ""


class KernelSession:
    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(env={**os.environ, **QUIET_ENV, **(env or {})})
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run(self, code: str, timeout: float = 300) -> Reply:
        msg_id = self.client.execute(code, allow_stdin=False)
        reply = Reply(status="ok")
        while True:
            try:
                msg = self.client.get_iopub_msg(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(f"no kernel output within {timeout} s for {code!r}") from None
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if reply.add(msg):
                self._read_reply(reply, msg_id, timeout)
                return reply

    def _read_reply(self, reply: Reply, msg_id: str, timeout: float) -> None:
        while True:
            msg = self.client.get_shell_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") == msg_id:
                content = msg["content"]
                reply.status = content["status"]
                payloads = content.get("payload", [])
                reply.pager = "".join(p.get("data", {}).get("text/plain", "") for p in payloads)
                return

    def ok(self, code: str, timeout: float = 300) -> Reply:
        """Run code that must not fail; the kernel's traceback is the message."""
        reply = self.run(code, timeout)
        assert not reply.error, "\n".join((reply.error or {}).get("traceback", []))
        assert reply.status == "ok", reply.error_line
        return reply

    def value(self, expression: str) -> Any:
        """Evaluate an expression in the kernel and return its repr, evaluated here."""
        import ast

        text = self.ok(f"print(repr({expression}))").stdout.strip()
        return ast.literal_eval(text)

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    def __enter__(self) -> KernelSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

"""One backend's Jupyter kernel: start it, run code in it, notice its death.

Driven through jupyter_client's async API (`AsyncKernelManager`), which
starts kernels through the kernel provisioner interface, on loopback. What a
request produced comes back as plain data (`Execution`); a kernel that dies
or hangs is reported, never waited on forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import re
import signal
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kerasnb.comparison.gateway import Gateway

AGENT = "__kerasnb_agent"  # the agent module's name inside every backend kernel
# Called as a cell runs with ("points", a running fit's new points), ("stdout", text)
# or ("control", another message the agent sent on its control comm).
LiveHandler = Callable[[str, Any], None]
_POLL_S = 0.2  # how often a silent kernel is checked for death
_GRACE_S = 5.0  # how long an interrupted kernel may take to stop
_START_TIMEOUT_S = 120.0
_GONE_CHECKS = 20  # half-second looks for a gateway kernel that an unasked interrupt announced
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class KernelStartError(RuntimeError):
    """A backend kernel did not start or could not load kerasnb's agent."""


@dataclass(frozen=True)
class Execution:
    """What one execute request produced in a backend kernel, as plain data.

    `status` is "ok", "error" (the code raised), "died" (the process ended)
    or "timeout" (past its deadline; the kernel was interrupted, or killed
    when the interrupt did not stop it).
    """

    status: str
    stdout: str = ""
    stderr: str = ""
    displays: tuple[dict[str, Any], ...] = ()  # display_data bundles, mime -> data
    result: dict[str, Any] | None = None  # the execute_result bundle
    error: dict[str, Any] | None = None  # ename, evalue, traceback (plain text)
    exit_code: int | None = None
    log_tail: str = ""  # the kernel's own stderr (e.g. a fatal error) when it died
    reason: str | None = None  # why a gateway's kernel is gone, when it is
    elapsed_s: float = 0.0
    killed: bool = False  # did not stop when interrupted, so it was killed


@dataclass
class _Collected:
    """Mutable scratch space while the messages of one request arrive."""

    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    displays: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    def add(self, msg: dict[str, Any], on_live: LiveHandler | None = None) -> bool:
        """Record one iopub message; True once the kernel is idle again.

        The agent's control-comm messages go to `on_live` as they come and are
        not kept: a running fit's points ("points") are progress, not outputs;
        the others are "control". Stdout goes to it too, and is kept.
        """
        kind, content = msg["msg_type"], msg["content"]
        if kind == "comm_msg":  # the agent's control comm (see control.py)
            data = (content.get("data") or {}).get("content")
            if on_live is not None and isinstance(data, dict):
                on_live("points" if data.get("type") == "points" else "control", data)
            return False
        if kind == "stream" and content["name"] == "stdout" and on_live is not None:
            on_live("stdout", content["text"])
        if kind == "stream":
            (self.stdout if content["name"] == "stdout" else self.stderr).append(content["text"])
        elif kind == "display_data":
            self.displays.append(content["data"])
        elif kind == "execute_result":
            self.result = content["data"]
        elif kind == "error":
            self.error = {
                "ename": content["ename"],
                "evalue": content["evalue"],
                "traceback": _ANSI.sub("", "\n".join(content["traceback"])),
            }
        return kind == "status" and content["execution_state"] == "idle"

    def finish(self, status: str, started: float, **extra: Any) -> Execution:
        if status == "ok" and self.error is not None:
            status = "error"
        return Execution(
            status=status,
            stdout="".join(self.stdout),
            stderr="".join(self.stderr),
            displays=tuple(self.displays),
            result=self.result,
            error=self.error,
            elapsed_s=time.monotonic() - started,
            **extra,
        )


def _kernel_env(backend: str) -> dict[str, str]:
    """The parent's environment, with this backend chosen and kerasnb importable."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["KERAS_BACKEND"] = backend
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    # Three backends share one machine: keep JAX and TensorFlow from each
    # grabbing most of a GPU's memory up front, and TensorFlow's C++ log quiet.
    env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    env.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def _kernel_spec_manager(kernel_name: str | None) -> Any:
    """Specs for backend kernels: by default this very interpreter, so the
    backend kernels see exactly the packages the notebook kernel sees."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    if kernel_name is not None:
        return KernelSpecManager()

    class ThisInterpreter(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
            return KernelSpec(
                argv=[*argv, "--HistoryManager.enabled=False"],
                display_name=f"kerasnb {kernel_name}",
                language="python",
                name=kernel_name,
            )

    return ThisInterpreter()


def signal_name(exit_code: int | None) -> str | None:
    if exit_code is None or exit_code >= 0:
        return None
    with contextlib.suppress(ValueError):
        return signal.Signals(-exit_code).name
    return f"signal {-exit_code}"


class BackendKernel:
    """One backend's kernel, local or on a gateway: start, run code, notice death, stop."""

    def __init__(
        self, backend: str, kernel_name: str | None, log_dir: Path,
        gateway: Gateway | None = None,
    ) -> None:  # fmt: skip
        self.backend = backend
        self.kernel_name = kernel_name
        self.gateway = gateway
        self.log_path = log_dir / f"{backend}.log"
        self.answer_timeout_s = _START_TIMEOUT_S  # for a started kernel's first answer
        self.manager: Any = None
        self.client: Any = None
        self.pid: int | None = None
        self.replayed: list[tuple[str, str]] = []  # setup cells run here: (key, source)
        self.startup_s: float | None = None  # start and import of the latest (re)start
        self.control_id: str | None = None  # the agent's comm for Stop (see agent.start)
        self._on_live: LiveHandler | None = None
        self.gone: str | None = None  # why a gateway kernel is no longer there
        self.version: str | None = None  # the backend package's, once a cell reported it
        self._we_interrupted = False
        self._checked_at = 0.0

    @property
    def started(self) -> bool:
        return self.manager is not None

    async def ensure_running(self) -> bool:
        """Start the kernel if it is not running; True when it was (re)started."""
        if self.started and await self.exit_code() is None:
            return False
        await self.stop(now=True)
        await self._start()
        return True

    async def _start(self) -> None:
        """Start the kernel, wait for its first answer, load the agent and Keras.

        A local kernel that dies or does not answer in time is killed and
        started once more (fresh ports, fresh process): a start can lose a
        race on a loaded machine without anything being wrong.
        """
        began = time.monotonic()
        self.gone = None
        attempts = 1 if self.gateway is not None else 2
        for attempt in range(1, attempts + 1):
            if self.gateway is not None:
                await self._start_on_gateway(self.gateway)
            else:
                await self._start_here()
            try:
                await self.client.wait_for_ready(timeout=self.answer_timeout_s)
                break
            except RuntimeError as err:
                await self.stop(now=True)
                if attempt == attempts:
                    where = "" if self.gateway is not None else f"; its log: {self.log_path}"
                    tries = "" if attempts == 1 else f" ({attempts} tries)"
                    raise KernelStartError(
                        f"the {self.backend} kernel did not start{tries}: {err}{where}"
                    ) from None
        local = self.gateway is None
        parent = os.getpid() if local and self.kernel_name is None else 0
        control = uuid.uuid4().hex
        log = str(self.log_path) if local else None  # a gateway's kernel cannot write here
        bootstrap = (
            f"import kerasnb.comparison.agent as {AGENT}\n"
            f"{AGENT}.start(parent_pid={parent}, log_path={log!r}, control_id={control!r}, "
            f"backend={self.backend!r})"
        )
        done = await self.execute(bootstrap, time.monotonic() + _START_TIMEOUT_S)
        if done.status != "ok":
            await self.stop(now=True)
            why = (done.error or {}).get("evalue") or done.log_tail or done.status
            raise KernelStartError(
                f"the {self.backend} kernel could not load kerasnb and Keras: {why}"
            )
        self.control_id = control
        self.startup_s = time.monotonic() - began

    async def _start_on_gateway(self, gateway: Gateway) -> None:
        from kerasnb.comparison import gateway as gateways

        try:
            manager, client = await gateways.start(self.backend, gateway)
        except gateways.FaultError as err:
            raise KernelStartError(str(err)) from None
        self.manager, self.client, self.replayed = manager, client, []
        self._on_live, self.pid = None, None

    async def _start_here(self) -> None:
        from jupyter_client.manager import AsyncKernelManager

        manager = AsyncKernelManager(
            kernel_name=self.kernel_name or "python3",
            kernel_spec_manager=_kernel_spec_manager(self.kernel_name),
            ip="127.0.0.1",  # loopback only
            transport="tcp",
        )
        manager.shutdown_wait_time = 2.0
        with open(self.log_path, "ab") as log:  # the child keeps its own descriptor
            await manager.start_kernel(
                env=_kernel_env(self.backend), cwd=os.getcwd(), stdout=log, stderr=log
            )
        self.manager, self.replayed = manager, []
        self._on_live = None
        self.pid = getattr(manager.provisioner, "pid", None)
        self.client = manager.client()
        self.client.start_channels()

    async def exit_code(self) -> int | None:
        """None while the kernel runs, else its exit status (-N: killed by signal N).

        A gateway's kernel has no status here: it is asked whether it still
        exists (at most every few seconds), and `gone` says why not.
        """
        if not self.started:
            return 0
        if self.gateway is None:
            return await self.manager.provisioner.poll() if self.manager.provisioner else 0
        from kerasnb.comparison import gateway as gateways

        if self.gone is None and time.monotonic() - self._checked_at >= gateways.LIVENESS_EVERY_S:
            self._checked_at = time.monotonic()
            self.gone = await gateways.gone(self.manager, self.client)
        return None if self.gone is None else 0

    async def execute(
        self, code: str, deadline: float | None, on_live: LiveHandler | None = None
    ) -> Execution:
        """Run `code` and collect everything it shows, until idle, death or deadline.

        A running fit's points and the cell's stdout go to `on_live` as they arrive.
        """
        started = time.monotonic()
        await self._drain_shell()
        msg_id = self.client.execute(code, store_history=False, allow_stdin=False)
        collected = _Collected()
        self._on_live = on_live
        self._we_interrupted = False
        outcome = await self._collect(msg_id, collected, deadline)
        if outcome == "idle" and await self._shut_down_under_us(collected):
            return await self._died(collected, started)
        if outcome == "idle":
            return collected.finish("ok", started)
        if outcome == "died":
            return await self._died(collected, started)
        await self.interrupt()
        outcome = await self._collect(msg_id, collected, time.monotonic() + _GRACE_S)
        if outcome == "died":
            return await self._died(collected, started)
        killed = outcome != "idle"
        if killed:
            await self.stop(now=True)
        return collected.finish("timeout", started, killed=killed)

    async def _collect(self, msg_id: str, into: _Collected, deadline: float | None) -> str:
        """Read iopub until this request is idle ("idle"), "died" or "deadline"."""
        while True:
            if self.client is None:  # stopped meanwhile, e.g. by `BackendKernels.stop`
                return "died"
            wait = _POLL_S if deadline is None else min(_POLL_S, deadline - time.monotonic())
            if wait <= 0:
                return "deadline"
            try:
                msg = await self._next_iopub(wait)
            except queue.Empty:
                if await self.exit_code() is not None:
                    return "died"
                continue
            except RuntimeError:  # a gateway client's websocket router ended: the link is gone
                self.gone = self.gone or "lost the websocket to the gateway"
                return "died"
            if msg["parent_header"].get("msg_id") == msg_id and into.add(msg, self._on_live):
                return "idle"

    async def _shut_down_under_us(self, collected: _Collected) -> bool:
        """A gateway shuts a busy kernel down by interrupting it first: a KeyboardInterrupt
        nobody here asked for, then the kernel is gone. Tell that from a real interrupt."""
        error = collected.error or {}
        if (
            self.gateway is None
            or self._we_interrupted
            or error.get("ename") != "KeyboardInterrupt"
        ):
            return False
        for _ in range(_GONE_CHECKS):
            self._checked_at = 0.0
            if await self.exit_code() is not None:
                return True
            await asyncio.sleep(0.5)
        return False

    async def _next_iopub(self, wait: float) -> dict[str, Any]:
        """The next IOPub message, waiting up to `wait` s (raises queue.Empty).

        A gateway client's queue spins the event loop while it waits, so it is
        polled here with short sleeps instead.
        """
        if self.gateway is None:
            return await self.client.get_iopub_msg(timeout=wait)
        channel = self.client.iopub_channel
        until = time.monotonic() + wait
        while True:
            try:
                return channel.get(block=False)
            except queue.Empty:
                if channel.response_router_finished:
                    raise RuntimeError("the gateway's websocket closed") from None
                if time.monotonic() >= until:
                    raise
                await asyncio.sleep(0.005)

    async def _drain_shell(self) -> None:
        """Drop old execute replies; results are read from iopub, which has them all."""
        with contextlib.suppress(queue.Empty):
            while True:
                await self.client.get_shell_msg(timeout=0)

    async def _died(self, collected: _Collected, started: float) -> Execution:
        code = await self.exit_code()
        tail = self.log_tail()
        reason = self.gone
        await self.stop(now=True)
        return collected.finish("died", started, exit_code=code, log_tail=tail, reason=reason)

    def log_tail(self, max_lines: int = 25) -> str:
        """The end of the kernel's own stderr, e.g. Python's fatal-error report."""
        if self.gateway is not None:
            return ""  # it is written on the gateway's machine
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        start = text.rfind("Fatal Python error")
        lines = (text[start:] if start >= 0 else text).strip().splitlines()
        return "\n".join(lines[:max_lines] if start >= 0 else lines[-max_lines:])

    def send_control(self, content: dict[str, Any]) -> bool:
        """A message to the agent's control comm (Stop); False if the kernel has none."""
        if self.client is None or self.control_id is None:
            return False
        data = {"method": "custom", "content": content}
        message = self.client.session.msg("comm_msg", {"comm_id": self.control_id, "data": data})
        self.client.shell_channel.send(message)
        return True

    async def interrupt(self) -> None:
        self._we_interrupted = True
        if self.started and await self.exit_code() is None:
            with contextlib.suppress(Exception):  # it may die while we ask
                await self.manager.interrupt_kernel()

    async def stop(self, now: bool = False) -> None:
        """Shut down (politely unless `now`); safe on a dead or stopped kernel."""
        manager, client = self.manager, self.client
        self.manager = self.client = None
        self.pid = None
        if client is not None:
            client.stop_channels()
        if manager is not None:
            with contextlib.suppress(Exception):  # already gone: only clean up
                await manager.shutdown_kernel(now=now)

"""Running one compare on the pool's event loop, and turning what each
backend kernel produced into a `RunResult`.

Every backend goes through the same steps on its own (start or reuse the
kernel, replay setup cells, receive pushed variables, run the cell), all at
once; a backend that fails at any step is reported in its own column and
never holds the others up.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kerasnb.comparison import parity
from kerasnb.comparison.backend_kernel import AGENT, Execution, KernelStartError, signal_name
from kerasnb.comparison.kernels import BackendKernels
from kerasnb.comparison.results import Curve, ParityResult, RunResult, Spread, Timing

_DEATHS = {
    "SIGSEGV": "segmentation fault",
    "SIGABRT": "aborted",
    "SIGBUS": "bus error",
    "SIGKILL": "killed, e.g. by the system's out-of-memory killer",
    "SIGTERM": "terminated",
}


@dataclass(frozen=True)
class Job:
    """One compare, validated: what runs where, with which pushed data and parity job.

    `code` is the compared cell, run by the agent; a `call` (code that shows
    one agent report, e.g. another feature's function run in every backend
    kernel) runs instead of it.
    """

    code: str
    backends: tuple[str, ...]
    timeout: float | None
    push: dict[str, Any] | None  # the pushed variables, packed (compare_push.pack)
    parity: parity.ParityJob | None
    cancelled: threading.Event = field(default_factory=threading.Event)
    call: str | None = None
    repeat: int = 0  # runs of the cell after the first, for the timing's median and spread
    stream: bool = True  # send fits' points while they run


# What the runner hears while a job runs, in the order it happens:
# ("points", backend, a running fit's new points: fit, points, progress, sent_at)
# ("stdout", backend, text the cell printed)
# ("done", backend, that backend's RunResult)
Event = tuple[str, str, Any]


@dataclass(frozen=True)
class Outcome:
    """What a job left behind: each backend's run, parity, and each agent report."""

    runs: dict[str, RunResult]
    parity: ParityResult | None
    reports: dict[str, dict[str, Any] | None]


async def run_all(pool: BackendKernels, job: Job, emit: Callable[[Event], None]) -> Outcome:
    reports: dict[str, dict[str, Any] | None] = {}

    async def one(backend: str) -> RunResult:
        try:
            run, reports[backend] = await run_one(pool, backend, job, emit)
        except Exception as err:  # a kerasnb bug must not hide the other backends
            run = RunResult(backend, "error", error=f"kerasnb failed here: {err!r}")
        if job.parity is not None and backend == job.parity.reference:
            _reference_done(pool, job, backend)
        emit(("done", backend, run))
        return run

    runs = dict(zip(job.backends, await asyncio.gather(*map(one, job.backends)), strict=True))
    found = None
    if job.parity is not None and not job.cancelled.is_set():
        found = await parity.run_phase(pool, job.parity, runs, reports, job.timeout)
    return Outcome(runs, found, reports)


async def run_one(
    pool: BackendKernels, backend: str, job: Job, emit: Callable[[Event], None] | None = None
) -> tuple[RunResult, dict[str, Any] | None]:
    """Start or reuse the kernel, replay setup, push, run the cell (1 + repeat times).

    Each step first checks whether the user interrupted the compare, so a
    kernel that was still starting never goes on to run the cell.
    """
    interrupted = RunResult(backend, "interrupted", error="interrupted before the cell ran")
    kernel = pool.kernel(backend)
    try:
        started_now = await kernel.ensure_running()
    except KernelStartError as err:
        return RunResult(backend, "error", error=str(err)), None
    startup_s = kernel.startup_s if started_now else None
    if job.parity is not None and job.parity.initial is not None:
        kernel.send_control(job.parity.initial)  # the reference was quicker than this start
    deadline = None if job.timeout is None else time.monotonic() + job.timeout
    setup = "a %%keras_setup cell"
    steps: list[tuple[str, str, tuple[str, str] | None]] = [
        (cell[1], setup, cell) for cell in pool.pending_setup(kernel)
    ]
    push_id = None
    if job.push is not None:
        push_id = uuid.uuid4().hex[:12]
        steps.append((f"{AGENT}.push({push_id!r})", "receiving pushed variables", None))
    for code, stage, cell in steps:
        if job.cancelled.is_set():
            return interrupted, None
        if cell is None and push_id is not None:  # the data first: the kernel reads it in order
            kernel.send_control({"type": "push", "id": push_id, "data": job.push})
        done = await kernel.execute(code, deadline)
        if done.status != "ok":
            return run_result(backend, done, job, stage=stage), None
        if cell is not None:
            kernel.replayed.append(cell)
    if job.cancelled.is_set():
        return interrupted, None
    options = {
        "parity": job.parity.run_options(backend, job.timeout) if job.parity else None,
        "stream": job.stream,
    }
    code = job.call or f"{AGENT}.run({job.code!r}, {json.dumps(options)!r})"

    def live(kind: str, payload: Any) -> None:
        if kind == "control":
            _relay(pool, job, backend, payload)
        elif emit is not None:
            emit((kind, backend, payload))

    timings = []
    for run_index in range(1 + job.repeat):
        if run_index and job.cancelled.is_set():
            break
        if run_index:
            deadline = None if job.timeout is None else time.monotonic() + job.timeout
        done = await kernel.execute(code, deadline, live)
        report = parity.report_of(done)
        if done.status != "ok" or not report or report.get("error"):
            break
        timings.append(report.get("timing"))
    measured = timings[1:] if len(timings) > 1 else timings
    kernel.version = (report or {}).get("version") or kernel.version
    timing = combine_timing(measured, startup_s)
    return run_result(backend, done, job, report=report, timing=timing), report


def _relay(pool: BackendKernels, job: Job, backend: str, content: dict[str, Any]) -> None:
    """The reference's starting weights, on to every other backend while their cells wait."""
    if job.parity is None or backend != job.parity.reference:
        return
    if content.get("type") == "parity_initial":
        _share_initial(pool, job, content)


def _share_initial(pool: BackendKernels, job: Job, content: dict[str, Any]) -> None:
    """Keep the starting weights for followers still starting, send them to the ready ones."""
    assert job.parity is not None
    job.parity.initial = content
    job.parity.sent_initial.set()
    for other in job.backends:
        if other != job.parity.reference:
            pool.kernel(other).send_control(content)  # False while it starts: sent then


def _reference_done(pool: BackendKernels, job: Job, backend: str) -> None:
    """The reference finished: if it never sent weights, the waiting backends must not wait on."""
    assert job.parity is not None
    if job.parity.sent_initial.is_set():
        return
    why = ("the reference backend finished without training, evaluating or predicting with "
           "a model, so there are no weights to start from")  # fmt: skip
    _share_initial(
        pool, job, {"type": "parity_initial", "job": job.parity.job, "weights": None, "why": why}
    )


_TIMED = ("first_epoch_s", "step_s", "samples_per_s", "train_s", "stream_share")


def combine_timing(runs: list[dict[str, Any] | None], startup_s: float | None) -> Timing:
    """The timing of one backend: the median of each figure over its runs, and their range."""
    timed = [t for t in runs if t]
    if not timed:
        return Timing(startup_s=startup_s, runs=len(runs))
    figures: dict[str, Any] = {}
    spread = {}
    for name in _TIMED:
        values = [t[name] for t in timed if t.get(name) is not None]
        figures[name] = statistics.median(values) if values else None
        if len(values) > 1:
            spread[name] = Spread(min(values), max(values))
    return Timing(
        startup_s=startup_s,
        total_steps=timed[-1].get("total_steps"),
        runs=len(timed),
        spread=spread,
        **figures,
    )


def run_result(
    backend: str, done: Execution, job: Job, report: dict[str, Any] | None = None,
    stage: str | None = None, timing: Timing | None = None,
) -> RunResult:  # fmt: skip
    status, error, trace = outcome(done, report, job.timeout)
    if stage is not None:
        error = f"{stage} failed: {error}"
    report = report or {}
    return RunResult(
        backend=backend,
        status=status,
        value=report.get("value"),
        error=error,
        traceback=trace,
        wall_s=report.get("wall_s", done.elapsed_s),
        peak_mb=report.get("peak_mb"),
        stdout=done.stdout,
        stderr=done.stderr,
        outputs=tuple(
            d.get("text/plain", "") for d in done.displays if parity.REPORT_MIME not in d
        ),
        curves=tuple(_curve(c) for c in report.get("curves", [])),
        version=report.get("version"),
        timing=timing or Timing(),
    )


def _curve(data: dict[str, Any]) -> Curve:
    batches = data.get("batches") or {"x": [], "y": []}
    return Curve(
        data["metric"],
        tuple(data["values"]),
        data["fit"],
        tuple(zip(batches["x"], (_float(v) for v in batches["y"]), strict=True)),
    )


def _float(value: Any) -> float | None:
    """Points travel JSON-safe ("NaN" as a string, see live.metric_stream.json_number)."""
    return None if value is None else float(value)


def outcome(
    done: Execution, report: dict[str, Any] | None, timeout: float | None
) -> tuple[str, str | None, str | None]:
    """(status, error text, traceback) of one execution."""
    if done.status == "died":
        return "crashed", done.reason or death(done.exit_code), done.log_tail or None
    if done.status == "timeout":
        what = (
            "killed it (the interrupt did not stop it); a fresh kernel starts at the next compare"
            if done.killed
            else "interrupted it"
        )
        return "timeout", f"no result within {timeout:g} s, so kerasnb {what}", None
    err = (report or {}).get("error") or done.error
    if not err:
        return "ok", None, None
    if err.get("interrupted") or err["ename"] == "KeyboardInterrupt":
        status = "interrupted"
    else:
        status = "oom" if err.get("oom") else "error"
    return status, f"{err['ename']}: {err['evalue']}", err.get("traceback")


def death(exit_code: int | None) -> str:
    name = signal_name(exit_code)
    if name is not None:
        what = f"{name} ({_DEATHS[name]})" if name in _DEATHS else name
        return f"the kernel died: {what}; a fresh kernel starts at the next compare"
    return f"the kernel exited (status {exit_code}); a fresh kernel starts at the next compare"

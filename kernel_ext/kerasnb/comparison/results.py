"""What a compare produced, as plain frozen data that serializes to JSON.

These classes are the only thing views see: no kernels, no Keras objects.
They are shown through `kerasnb.shared.rich`; the view (comparison/view.py)
registers itself, and this module never imports it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from kerasnb.shared import rich

# Every status a run can have, and what it means to a reader.
STATUSES = {
    "running": "still running",
    "ok": "ran without error",
    "error": "the cell raised an exception",
    "oom": "ran out of memory",
    "crashed": "the kernel process died",
    "timeout": "ran past the timeout",
    "interrupted": "interrupted",
}


@dataclass(frozen=True)
class Curve:
    """One metric of one `fit` in the cell: per-epoch values, and per-batch points."""

    metric: str
    values: tuple[float, ...]
    fit: int = 0  # which fit of the cell, in call order
    # Per batch: (steps done, value as Keras logged it: the running mean in its epoch),
    # thinned to at most a few thousand points.
    batches: tuple[tuple[int, float | None], ...] = ()


@dataclass(frozen=True)
class Spread:
    """The smallest and largest of a figure over the repeated runs (`--repeat`)."""

    low: float
    high: float


@dataclass(frozen=True)
class Timing:
    """Where one backend's time went, for the cell's main fit (the one with most steps).

    With `repeat`, each figure is the median over the repeated runs and
    `spread` holds its range there, so a difference smaller than it is noise.
    """

    startup_s: float | None = None  # starting the kernel and importing the backend (cold)
    first_epoch_s: float | None = None  # the first epoch: tracing and compiling included
    step_s: float | None = None  # median steady-state step after the first epoch
    samples_per_s: float | None = None
    total_steps: int | None = None
    train_s: float | None = None  # the whole fit
    # The part of the steady-state steps' time the fit spent sending its points to
    # the notebook (streaming's cost, 0.004 = 0.4%); None without streaming.
    stream_share: float | None = None
    runs: int = 1  # how many runs the figures come from
    spread: dict[str, Spread] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """The fastest backend for steady-state steps, and those within its measured spread."""

    backend: str
    step_s: float | None
    within_spread: tuple[str, ...] = ()
    repeated: bool = False  # the figures come from several runs, with a spread


def _low(timing: Timing) -> float | None:
    spread = timing.spread.get("step_s")
    return spread.low if spread else timing.step_s


def _high(timing: Timing) -> float | None:
    spread = timing.spread.get("step_s")
    return spread.high if spread else None


@dataclass(frozen=True)
class RunResult:
    """One backend's run of the cell."""

    backend: str
    status: str
    value: str | None = None  # text of the last expression's repr
    error: str | None = None  # "Name: message", or what happened to the kernel
    traceback: str | None = None
    wall_s: float | None = None  # the cell's own time inside its kernel
    peak_mb: float | None = None  # the kernel's peak resident memory during the cell
    stdout: str = ""
    stderr: str = ""
    outputs: tuple[str, ...] = ()  # text of what the cell displayed
    curves: tuple[Curve, ...] = ()
    version: str | None = None  # the backend package's version
    timing: Timing = field(default_factory=Timing)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


@dataclass(frozen=True)
class ParityDiff:
    """How far one backend is from the reference, on the same weights and inputs.

    `max_rel` divides by the reference's magnitude, with magnitudes below
    `tolerance` counted as `tolerance`, so values near zero do not explode.
    """

    backend: str
    max_abs: float | None = None
    max_rel: float | None = None
    loss: float | None = None
    loss_abs: float | None = None
    loss_rel: float | None = None
    flagged: bool = False
    error: str | None = None


@dataclass(frozen=True)
class ParityResult:
    """Numerical parity of the backends against the reference backend."""

    reference: str
    tolerance: float
    inputs: str
    targets: str | None = None
    model: str | None = None
    equalized: bool = False  # training started from the reference's weights
    reference_loss: float | None = None
    diffs: dict[str, ParityDiff] = field(default_factory=dict)
    error: str | None = None

    @property
    def flagged(self) -> tuple[str, ...]:
        """Backends beyond the tolerance, or whose parity check failed."""
        return tuple(b for b, d in self.diffs.items() if d.flagged or d.error)


@dataclass(frozen=True)
class CompareResult:
    """The same cell on several backends; `runs` maps backend name to its run."""

    code: str
    backends: tuple[str, ...]
    runs: dict[str, RunResult]
    parity: ParityResult | None = None
    wall_s: float | None = None  # the whole compare, as the notebook waited for it
    done: bool = True

    @property
    def ok(self) -> bool:
        return self.done and all(self.runs[b].ok for b in self.backends if b in self.runs)

    @property
    def fastest(self) -> Verdict | None:
        """Which backend steps fastest after the first epoch, and which are not told apart."""
        timed = {b: r.timing for b, r in self.runs.items() if r.ok and r.timing.step_s is not None}
        if not timed:
            return None
        best = min(timed, key=lambda b: timed[b].step_s or 0.0)
        best_high = _high(timed[best])
        within = tuple(
            b for b, t in timed.items()
            if b != best and best_high is not None and (_low(t) or 0.0) <= best_high
        )  # fmt: skip
        return Verdict(best, timed[best].step_s, within, repeated=timed[best].runs > 1)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["runs"] = {b: r.to_dict() for b, r in self.runs.items()}
        data["ok"] = self.ok
        return data

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        return rich.bundle(self)


@dataclass(frozen=True)
class GatewayInfo:
    """What a gateway offers the comparison: which kernelspec each backend runs in."""

    url: str
    specs: dict[str, str] = field(default_factory=dict)  # backend -> kernelspec it starts
    offered: tuple[str, ...] = ()  # every kernelspec the gateway has
    running: dict[str, str] = field(default_factory=dict)  # backend -> version, warm kernels
    error: str | None = None  # why the gateway could not be asked

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        return rich.bundle(self)

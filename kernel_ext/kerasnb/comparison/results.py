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
    """One metric's per-epoch values from one `fit` in the cell."""

    metric: str
    values: tuple[float, ...]
    fit: int = 0  # which fit of the cell, in the order found


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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["runs"] = {b: r.to_dict() for b, r in self.runs.items()}
        data["ok"] = self.ok
        return data

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        return rich.bundle(self)

"""Numerical parity between backends, on the notebook's side.

The backend kernels do the Keras work (see `parity_agent`); this module
orders the steps, passes the reference's weights on to the others over the
kernel protocol, reads the outputs (.npz text, `allow_pickle=False`) and
measures the differences.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kerasnb.comparison import npz
from kerasnb.comparison.agent import REPORT_MIME
from kerasnb.comparison.results import ParityDiff, ParityResult, RunResult

if TYPE_CHECKING:
    from kerasnb.comparison.kernels import BackendKernels, Execution


@dataclass
class ParityJob:
    """What parity compares, and the reference's starting weights once it sent them."""

    reference: str
    inputs: str
    targets: str | None
    tolerance: float
    model: str | None = None
    sent_initial: threading.Event = field(default_factory=threading.Event, compare=False)
    job: str = field(default_factory=lambda: uuid.uuid4().hex)
    initial: dict[str, Any] | None = field(default=None, compare=False)  # the reference's weights

    def run_options(self, backend: str, wait_s: float | None) -> dict[str, Any]:
        role = "reference" if backend == self.reference else "follower"
        return {"role": role, "job": self.job, "model": self.model, "wait_s": wait_s}


def report_of(execution: Execution) -> dict[str, Any] | None:
    """The agent's JSON report among the displays, if it sent one."""
    reports = [d[REPORT_MIME] for d in execution.displays if REPORT_MIME in d]
    return reports[-1] if reports else None


def diff(
    reference: Sequence[Any], other: Sequence[Any], tolerance: float, backend: str,
    reference_loss: float | None = None, loss: float | None = None,
) -> ParityDiff:  # fmt: skip
    """Largest absolute and relative differences, flagged past `tolerance`.

    An element is beyond tolerance when |a - b| > tolerance * (1 + |b|), i.e.
    NumPy's `allclose` with rtol = atol = tolerance.
    """
    import numpy as np

    shapes = [np.shape(a) for a in reference], [np.shape(a) for a in other]
    if shapes[0] != shapes[1]:
        return ParityDiff(
            backend, flagged=True, error=f"output shapes differ: {shapes[1]} vs {shapes[0]}"
        )
    gaps, rels, flagged = [0.0], [0.0], False
    for ref, out in zip(reference, other, strict=True):
        ref64, out64 = np.asarray(ref, np.float64), np.asarray(out, np.float64)
        gap = np.abs(out64 - ref64)
        if gap.size:  # np.max keeps NaN: a NaN output shows as a NaN difference
            gaps.append(float(np.max(gap)))
            rels.append(float(np.max(gap / np.maximum(np.abs(ref64), tolerance))))
            flagged |= bool(np.any(~(gap <= tolerance * (1 + np.abs(ref64)))))
    max_abs, max_rel = float(np.max(gaps)), float(np.max(rels))
    loss_abs = loss_rel = None
    if reference_loss is not None and loss is not None:
        loss_abs = abs(loss - reference_loss)
        loss_rel = loss_abs / max(abs(reference_loss), tolerance)
        flagged |= not loss_abs <= tolerance * (1 + abs(reference_loss))
    return ParityDiff(backend, max_abs, max_rel, loss, loss_abs, loss_rel, flagged)


async def run_phase(
    pool: BackendKernels, job: ParityJob, runs: dict[str, RunResult],
    cell_reports: dict[str, dict[str, Any] | None], timeout: float | None,
) -> ParityResult:  # fmt: skip
    """Share the reference's final weights, predict everywhere, compare."""
    from kerasnb.comparison.kernels import AGENT

    ref = job.reference
    base = ParityResult(reference=ref, tolerance=job.tolerance, inputs=job.inputs,
                        targets=job.targets)  # fmt: skip
    cell = (cell_reports.get(ref) or {}).get("parity") or {}
    if not runs[ref].ok:
        return _with(base, error=f"the reference backend ({ref}) did not run the cell")
    if cell.get("error"):
        return _with(base, error=cell["error"])
    base = _with(base, model=cell.get("model"), equalized=bool(cell.get("equalized")))

    async def outputs(backend: str, final_weights: str | None = None) -> dict[str, Any]:
        options = {**job.run_options(backend, None), "backend": backend, "inputs": job.inputs,
                   "targets": job.targets}  # fmt: skip
        options.pop("model"), options.pop("wait_s"), options.pop("job")
        kernel = pool.kernel(backend)
        if final_weights is not None:  # before the call: the kernel reads it in order
            kernel.send_control({"type": "parity_final", "weights": final_weights})
        deadline = None if timeout is None else time.monotonic() + timeout
        code = f"{AGENT}.parity_outputs({json.dumps(options)!r})"
        done = await kernel.execute(code, deadline)
        report = report_of(done)
        if report is None:
            what = (done.error or {}).get("evalue") or done.status
            return {"error": f"parity step failed: {what}"}
        return report

    reference = await outputs(ref)
    if reference.get("error"):
        return _with(base, error=reference["error"])
    others = [b for b in runs if b != ref and runs[b].ok]
    final = reference.get("final_weights")
    found = await asyncio.gather(*(outputs(b, final) for b in others))
    ref_arrays, ref_loss = npz.loads(reference["outputs"]), reference.get("loss")
    diffs = {}
    for backend, report in zip(others, found, strict=True):
        if report.get("error"):
            diffs[backend] = ParityDiff(backend, flagged=True, error=report["error"])
        else:
            diffs[backend] = diff(ref_arrays, npz.loads(report["outputs"]), job.tolerance, backend,
                                  ref_loss, report.get("loss"))  # fmt: skip
    return _with(base, reference_loss=ref_loss, diffs=diffs)


def _with(result: ParityResult, **changes: Any) -> ParityResult:
    from dataclasses import replace

    return replace(result, **changes)

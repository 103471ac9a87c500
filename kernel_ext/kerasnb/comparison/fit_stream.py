"""Inside a backend kernel: every fit of the compared cell, recorded, timed and streamed.

The compare agent adds one `FitRecorder` callback to each `fit` of the cell
(kerasnb.shared.model_calls). It keeps the per-batch and per-epoch metrics in
a `MetricStream` (the live training view's own data), sends new points to the
notebook a few times a second (the agent sends them as "points" messages of
its control comm, so they are not outputs; the notebook's compare draws them
as they come), times each step and each send, and ends the fit after the
current batch when the notebook asks (Stop). At the cell's end the agent
reports every fit's curves and timing as JSON.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kerasnb.live.metric_stream import MetricStream

UPDATE_INTERVAL_S = 0.25
# Batch points per message at most: a chart's worth; the final report has them all.
POINTS_PER_MESSAGE = 200


@dataclass
class StopFlag:
    """Raised by the notebook's Stop (on ipykernel's shell thread), read before each batch."""

    event: threading.Event = field(default_factory=threading.Event)

    def request(self) -> None:
        self.event.set()

    @property
    def requested(self) -> bool:
        return self.event.is_set()


@dataclass
class FitRecord:
    """One fit: its stream of metrics and the clock times of its steps."""

    index: int
    samples_per_step: int | None
    stream: MetricStream | None = None
    started: float = 0.0
    epoch_ends: list[float] = field(default_factory=list)
    batch_ends: list[tuple[int, float]] = field(default_factory=list)  # (epoch, clock)
    sends: list[tuple[float, float]] = field(default_factory=list)  # (clock, seconds it took)
    stopped: bool = False

    def curves(self) -> list[dict[str, Any]]:
        """Per metric: per-epoch values and per-batch points (x = steps done so far)."""
        if self.stream is None:
            return []
        points = self.stream.snapshot(max_points=2000)["batches"]
        names = list(dict.fromkeys([*self.stream.history, *points["metrics"]]))
        return [
            {
                "fit": self.index,
                "metric": name,
                "values": list(self.stream.history.get(name, [])),
                "batches": (  # validation metrics have none: they come per epoch only
                    {"x": points["x"], "y": points["metrics"][name]}
                    if name in points["metrics"]
                    else {"x": [], "y": []}
                ),
            }
            for name in names
        ]

    def _steady_ends(self) -> list[float]:
        """The clock at each step's end after the first epoch (or, in a one-epoch fit,
        in its second half): tracing and compilation happen in the first steps."""
        later = [t for epoch, t in self.batch_ends if epoch > 0]
        if len(later) < 2:
            first = [t for epoch, t in self.batch_ends if epoch == 0]
            later = first[len(first) // 2 :]
        return later

    def _steady_steps(self) -> list[float]:
        later = self._steady_ends()
        return [b - a for a, b in zip(later, later[1:], strict=False)]

    def _stream_share(self) -> float | None:
        """The part of the steady-state steps' time spent sending points to the notebook.

        A send runs between one step's end and the next one's, so it lies
        inside the steady steps' time when it starts in their window.
        """
        ends = self._steady_ends()
        if len(ends) < 2 or not self.sends:
            return None
        sent = sum(seconds for began, seconds in self.sends if ends[0] <= began < ends[-1])
        return round(min(1.0, sent / (ends[-1] - ends[0])), 6)

    def timing(self) -> dict[str, Any] | None:
        """First epoch (tracing, compilation) and the median step after it."""
        if self.stream is None or not self.epoch_ends:
            return None
        first_epoch_s = self.epoch_ends[0] - self.started
        steps = self._steady_steps()
        step_s = statistics.median(steps) if steps else None
        return {
            "first_epoch_s": round(first_epoch_s, 6),
            "step_s": None if step_s is None else round(step_s, 7),
            "steady_steps": len(steps),
            "samples_per_s": (
                round(self.samples_per_step / step_s, 1)
                if step_s and self.samples_per_step
                else None
            ),
            "total_steps": self.stream.total_steps,
            "train_s": round(self.epoch_ends[-1] - self.started, 6),
            "stream_share": self._stream_share(),
            "stopped": self.stopped,
        }


class CellFits:
    """Every fit of one compared cell, in call order."""

    def __init__(self, stop: StopFlag, send: Any | None) -> None:
        self.fits: list[FitRecord] = []
        self.stop = stop
        self.send = send  # (payload) -> None: one message to the notebook; None: no streaming

    def curves(self) -> list[dict[str, Any]]:
        return [
            curve
            for fit in self.fits
            for curve in fit.curves()
            if curve["values"] or curve["batches"]["x"]
        ]

    def timing(self) -> dict[str, Any] | None:
        """The timing of the cell's main fit: the one that ran the most steps."""
        timed = [(fit.stream.total_steps, fit.timing()) for fit in self.fits if fit.stream]
        timed = [(steps, t) for steps, t in timed if t is not None]
        return max(timed, key=lambda pair: pair[0])[1] if timed else None

    def recorder(self, samples_per_step: int | None) -> Any:
        import keras

        record = FitRecord(len(self.fits), samples_per_step)
        self.fits.append(record)
        cell = self

        class FitRecorder(keras.callbacks.Callback):
            def __init__(self) -> None:
                super().__init__()
                self._next_send = 0.0

            def on_train_begin(self, logs: Any = None) -> None:
                params = self.params or {}
                record.started = time.perf_counter()
                record.stream = MetricStream(
                    "fit", epochs=int(params.get("epochs") or 1), steps=params.get("steps"),
                    start=time.monotonic(),
                )  # fmt: skip

            def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
                record.stream.begin_epoch(epoch)  # type: ignore[union-attr]

            def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
                now = time.perf_counter()
                record.batch_ends.append((len(record.epoch_ends), now))
                record.stream.add_batch(batch, logs)  # type: ignore[union-attr]
                if cell.stop.requested and not self.model.stop_training:
                    self.model.stop_training = True  # Keras ends fit after this batch
                    record.stopped = True
                if now >= self._next_send:
                    self._send(now)

            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                now = time.perf_counter()
                record.epoch_ends.append(now)
                record.batch_ends.append((len(record.epoch_ends), now))  # the next step starts here
                record.stream.end_epoch(epoch, logs)  # type: ignore[union-attr]
                self._send(now)

            def on_train_end(self, logs: Any = None) -> None:
                self._send(time.perf_counter(), final=True)

            def _send(self, now: float, final: bool = False) -> None:
                self._next_send = now + UPDATE_INTERVAL_S
                stream = record.stream
                if stream is None or cell.send is None:
                    return
                began = time.perf_counter()
                points = stream.take_points(max_points=POINTS_PER_MESSAGE)
                state = "stopped" if record.stopped else "finished" if final else "running"
                cell.send({
                    "fit": record.index,
                    "points": points,
                    "progress": stream.progress(time.monotonic(), state).to_dict(),
                    "sent_at": time.time(),  # wall clock: bench/compare_stream.py times the trip
                })  # fmt: skip
                record.sends.append((began, time.perf_counter() - began))

        return FitRecorder()


def samples_per_step(call: Any) -> int | None:
    """How many samples one step of this `fit` call takes: its batch size, for arrays."""
    x = call.arguments.get("x")
    if not hasattr(x, "shape") and not isinstance(x, list | tuple | dict):
        return None  # a dataset or generator: its batches are its own
    size = call.arguments.get("batch_size") or 32
    first = (
        next(iter(x.values()))
        if isinstance(x, dict)
        else x[0]
        if isinstance(x, list | tuple)
        else x
    )
    rows = getattr(first, "shape", (None,))[0]
    return int(min(size, rows)) if rows else int(size)

"""What one `fit`, `evaluate` or `predict` produced, as plain data handed out in increments.

`LiveMetrics` feeds a `MetricStream` from Keras' callback hooks; views only
ever see what this module hands out: JSON-able point increments, a small
`Progress` record and, at the end, a `RunRecord`. Nothing here imports Keras,
so the same data drives the browser view, the static fallback and tests.

Increments are sent, never the whole history again: the stream remembers how
much each consumer has seen and only rewinds when a new frontend asks to be
caught up (a page reload), which is the one time everything is resent.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from kerasnb.shared.metrics import panel_names

RUNNING, FINISHED, STOPPED, INTERRUPTED, FAILED = (
    "running",
    "finished",
    "stopped",
    "interrupted",
    "failed",
)

# Weight of the newest measurement in the steps-per-second average: high
# enough to follow a change of speed within a few updates, low enough that
# one slow step (a checkpoint, a recompile) does not make the ETA jump.
_RATE_WEIGHT = 0.3


def _stride(count: int, max_points: int | None) -> int:
    """Every how many points to keep so that `count` become at most about `max_points`."""
    return max(1, math.ceil(count / max_points)) if max_points else 1


def json_number(value: Any) -> Any:
    """A log value the browser can parse: NaN and infinities become strings.

    Floats keep six significant digits.

    JSON has no NaN, and a NaN that slips into a widget message breaks the
    frontend's `JSON.parse`, so they travel as "NaN", "Infinity", "-Infinity"
    (what JavaScript's `Number()` turns back into the same value).
    """
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            return "NaN"
        return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, float):
        return float(f"{value:.6g}")  # plenty for a plot; halves what is sent and saved
    if isinstance(value, bool | int | str) or value is None:
        return value
    return str(value)


def _number(value: Any) -> float | None:
    """A log value as a float, or None for things that are not numbers (arrays)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    return None


@dataclass(frozen=True)
class Progress:
    """Where a run is, as shown on the progress line of the view."""

    kind: str  # fit | evaluate | predict
    state: str = RUNNING  # running | finished | stopped | interrupted | failed
    phase: str = "train"  # train | validate | evaluate | predict
    epoch: int = 0  # 0-based
    epochs: int = 1
    step: int = 0  # steps done in this epoch (or this evaluate/predict)
    steps: int | None = None  # per epoch; None while unknown (generators, tf.data)
    total_steps: int = 0  # steps done over the whole run
    val_step: int = 0
    val_steps: int | None = None
    elapsed_s: float = 0.0
    rate: float | None = None  # steps per second
    eta_s: float | None = None
    learning_rate: float | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: json_number(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class RunRecord:
    """Everything a finished (or broken off) run leaves behind, for static views."""

    progress: Progress
    history: dict[str, list[float]]
    batch_x: list[int]
    batch_metrics: dict[str, list[float | None]]
    epoch_rows: list[dict[str, Any]]  # {"epoch", "x" (step count at its end), "logs"}
    results: dict[str, float] = field(default_factory=dict)  # evaluate's final logs
    learning_rates: tuple[float, ...] = ()  # (first, last) seen, when known
    points: dict[str, Any] = field(default_factory=dict)  # thinned, JSON-able, for saving

    def epoch_series(self, name: str) -> tuple[list[int], list[float]]:
        """The per-epoch values of `name` with the step count each epoch ended at."""
        rows = [row for row in self.epoch_rows if name in row["logs"]]
        return [row["x"] for row in rows], [row["logs"][name] for row in rows]


class BatchQueue:
    """Batch logs handed over from Keras' worker threads, given back in step order.

    With async dispatch Keras runs batch-end hooks on a thread pool, so batch
    7 can arrive before batch 6. `put` (any thread) only appends to a deque;
    `take` (the training thread) returns the batches whose predecessors have
    all arrived, so the stream never has to re-order points it already sent.
    """

    def __init__(self) -> None:
        self._incoming: collections.deque[tuple[int, Any]] = collections.deque()
        self.put = self._incoming.append  # called once per batch: keep it a bare append
        self._held: dict[int, Any] = {}
        self._next = 0
        self._stride = 1

    def restart(self, stride: int = 1) -> None:
        """A new epoch: steps count from 0 again, `stride` batches per Keras call."""
        self._incoming.clear()
        self._held.clear()
        self._stride = max(1, int(stride))
        self._next = self._stride - 1

    def take(self, everything: bool = False) -> list[tuple[int, Any]]:
        """(step, logs) in order; `everything` also gives what still waits for a gap."""
        incoming, held = self._incoming, self._held
        while incoming:
            step, logs = incoming.popleft()
            held[step] = logs
        ready = []
        while self._next in held:
            ready.append((self._next, held.pop(self._next)))
            self._next += self._stride
        if everything and held:
            ready += sorted(held.items())
            self._next = ready[-1][0] + self._stride
            held.clear()
        return ready


class MetricStream:
    """Per-batch and per-epoch metrics of one run, plus its progress.

    Its fields are written by its own methods only; others read them. Only
    the thread that runs `fit` touches a stream; `LiveMetrics` queues batch
    logs from Keras' worker threads and hands them over here.
    """

    def __init__(
        self, kind: str, epochs: int = 1, steps: int | None = None, start: float = 0.0
    ) -> None:
        self.kind = kind
        self.epochs = epochs
        self.steps = steps
        self.history: dict[str, list[float]] = {}
        self.batch_history: dict[str, list[Any]] = {"epoch": [], "step": []}
        self.results: dict[str, float] = {}
        self._batch_x: list[int] = []
        self._epoch_rows: list[dict[str, Any]] = []
        self._sent_batches = 0
        self._sent_epochs = 0
        self._start = self._last_time = start
        self._last_total = 0
        self._epoch_base = 0  # total steps when the current epoch began
        self._rate: float | None = None
        self.epoch = 0
        self.step = 0
        self.total_steps = 0
        self.phase = {"fit": "train"}.get(kind, kind)
        self.val_step = 0
        self.val_steps: int | None = None
        self.learning_rate: float | None = None
        self._first_learning_rate: float | None = None

    # Feeding ----------------------------------------------------------------

    def begin_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.step = 0
        self._epoch_base = self.total_steps
        self.phase = "train"

    def add_batch(self, step: int, logs: Mapping[str, Any] | None) -> None:
        """Record the logs Keras reported after batch `step` (0-based) of this epoch."""
        self.step = step + 1
        self.total_steps = self._epoch_base + self.step
        if self.kind != "fit":
            return
        row = len(self._batch_x)
        self._batch_x.append(self.total_steps)
        self.batch_history["epoch"].append(self.epoch)
        self.batch_history["step"].append(step)
        for name, value in (logs or {}).items():
            number = _number(value)
            if number is None:
                continue
            column = self.batch_history.get(name)
            if column is None:
                column = self.batch_history[name] = [None] * row
            column.append(number)
        for column in self.batch_history.values():
            if len(column) <= row:
                column.append(None)

    def end_epoch(self, epoch: int, logs: Mapping[str, Any] | None) -> None:
        """Record an epoch's logs the way Keras' `History` does (a list per name)."""
        if self.steps is None and self.step:
            self.steps = self.step  # now known for the epochs that follow
        values = {}
        for name, value in (logs or {}).items():
            number = _number(value)
            if number is not None:
                self.history.setdefault(name, []).append(number)
                values[name] = number
        self._epoch_rows.append({"epoch": epoch, "x": self.total_steps, "logs": values})

    def begin_validation(self) -> None:
        """The validation pass at the end of a training epoch starts."""
        self.phase = "validate"
        self.val_step = 0

    def validated(self, steps: int) -> None:
        """`steps` batches of the validation pass are done."""
        self.val_step = steps

    def end_validation(self) -> None:
        self.phase = "train"
        self.val_steps = self.val_steps or self.val_step

    def set_results(self, logs: Mapping[str, Any] | None) -> None:
        """Keep evaluate's final logs (numbers only)."""
        self.results = {
            k: v for k, v in ((k, _number(v)) for k, v in (logs or {}).items()) if v is not None
        }

    def set_learning_rate(self, value: float | None) -> None:
        if value is None:
            return
        if self._first_learning_rate is None:
            self._first_learning_rate = value
        self.learning_rate = value

    # Handing out ------------------------------------------------------------

    def rewind(self) -> None:
        """Make the next `take_points` start from the beginning (a new frontend)."""
        self._sent_batches = 0
        self._sent_epochs = 0

    def take_points(self, max_points: int | None = None) -> dict[str, Any] | None:
        """The points not handed out yet, as a JSON-able message, or None if none.

        With `max_points`, the new batch points are thinned to about that many
        (the newest one always kept): what a chart needs, at a bounded cost.
        """
        first_batch, first_epoch = self._sent_batches, self._sent_epochs
        if first_batch == len(self._batch_x) and first_epoch == len(self._epoch_rows):
            return None
        self._sent_batches, self._sent_epochs = len(self._batch_x), len(self._epoch_rows)
        stride = _stride(len(self._batch_x) - first_batch, max_points)
        return {
            "type": "points",
            "reset": first_batch == 0 and first_epoch == 0,
            "panels": self.panels(),
            "batches": self._batch_slice(first_batch, len(self._batch_x), stride),
            "epochs": [_json_row(row) for row in self._epoch_rows[first_epoch:]],
        }

    def panels(self) -> list[str]:
        """The metrics to chart, in order (see kerasnb.shared.metrics)."""
        names = [n for n in self.batch_history if n not in ("epoch", "step")]
        names += [name for row in self._epoch_rows for name in row["logs"]]
        return panel_names(names)

    def snapshot(self, max_points: int = 1000) -> dict[str, Any]:
        """All points, with batch points thinned to at most `max_points`, for saving."""
        count = len(self._batch_x)
        stride = _stride(count, max_points)
        return {
            "type": "points",
            "reset": True,
            "panels": self.panels(),
            "batches": self._batch_slice(0, count, stride),
            "epochs": [_json_row(row) for row in self._epoch_rows],
        }

    def _batch_slice(self, start: int, stop: int, stride: int) -> dict[str, Any]:
        indices = list(range(start, stop, stride))
        if indices and indices[-1] != stop - 1:
            indices.append(stop - 1)  # thinned: keep the newest point
        metrics = {
            name: [json_number(column[i]) for i in indices]
            for name, column in self.batch_history.items()
            if name not in ("epoch", "step")
        }
        return {
            "x": [self._batch_x[i] for i in indices],
            "epoch": [self.batch_history["epoch"][i] for i in indices],
            "metrics": metrics,
        }

    def progress(self, now: float, state: str = RUNNING, message: str = "") -> Progress:
        """The progress line at time `now` (same clock as `start`)."""
        self._update_rate(now)
        return Progress(
            kind=self.kind,
            state=state,
            phase=self.phase,
            epoch=self.epoch,
            epochs=self.epochs,
            step=self.step,
            steps=self.steps,
            total_steps=self.total_steps,
            val_step=self.val_step,
            val_steps=self.val_steps,
            elapsed_s=round(now - self._start, 3),
            rate=None if self._rate is None else round(self._rate, 2),
            eta_s=self._eta() if state == RUNNING else None,
            learning_rate=self.learning_rate,
            message=message,
        )

    def _update_rate(self, now: float) -> None:
        elapsed = now - self._last_time
        done = self.total_steps - self._last_total
        if elapsed <= 0 or done <= 0:
            return
        rate = done / elapsed
        self._rate = (
            rate if self._rate is None else (1 - _RATE_WEIGHT) * self._rate + (_RATE_WEIGHT * rate)
        )
        self._last_time, self._last_total = now, self.total_steps

    def _eta(self) -> float | None:
        if not self._rate or self.steps is None:
            return None
        epochs_left = self.epochs - self.epoch - 1
        remaining = max(self.steps - self.step, 0) + epochs_left * self.steps
        return round(remaining / self._rate, 1)

    def record(self, progress: Progress) -> RunRecord:
        first, last = self._first_learning_rate, self.learning_rate
        return RunRecord(
            progress=progress,
            history={k: list(v) for k, v in self.history.items()},
            batch_x=list(self._batch_x),
            batch_metrics={
                k: list(v) for k, v in self.batch_history.items() if k not in ("epoch", "step")
            },
            epoch_rows=[{**row, "logs": dict(row["logs"])} for row in self._epoch_rows],
            results=dict(self.results),
            learning_rates=() if first is None or last is None else (first, last),
            points=self.snapshot(),
        )


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "epoch": row["epoch"],
        "x": row["x"],
        "logs": {k: json_number(v) for k, v in row["logs"].items()},
    }

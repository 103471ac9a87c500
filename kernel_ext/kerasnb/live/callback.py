"""`LiveMetrics`: watch `fit`, `evaluate` and `predict` live in the notebook.

It is a Keras callback and replaces Keras' text progress bar (it subclasses
`ProgbarLogger`, which is how Keras knows not to add its own), so the saved
notebook holds curves and a small table instead of hundreds of progress lines.

Per batch it does almost nothing: the batch-end hook queues the logs Keras
already converted, and the batch-begin hook (always on the training thread)
compares the clock with the next update time. A few times a second it hands
new points to the view; nothing is ever resent. This module imports Keras,
so it holds no session state: it is re-imported after a backend switch.
"""

from __future__ import annotations

import collections
import math
import time
from typing import Any

import keras

from kerasnb.errors import KerasnbError, not_an_extension
from kerasnb.live import display as live_display
from kerasnb.live.interrupts import InterruptWatch
from kerasnb.live.metric_stream import (
    FAILED,
    FINISHED,
    INTERRUPTED,
    RUNNING,
    STOPPED,
    BatchQueue,
    MetricStream,
    Progress,
    RunRecord,
)

load_ipython_extension = not_an_extension(__name__)

# May Keras call our batch-end hooks on its worker thread (async dispatch)?
# Chosen per backend from bench/fit_overhead.py, which times both ways.
# TensorFlow never dispatches callbacks asynchronously.
ASYNC_SAFE = {"jax": False, "torch": False, "tensorflow": False}


class LiveMetrics(keras.callbacks.ProgbarLogger):
    """Live curves of loss and metrics, a progress bar with ETA, and a Stop button.

    Pass it to `fit` (or `evaluate`, `predict`) like any callback::

        live = kerasnb.LiveMetrics()
        model.fit(x, y, validation_split=0.2, epochs=10, callbacks=[live])
        live.history        # {"loss": [...], "val_loss": [...]}, like History.history
        live.batch_history  # {"epoch": [...], "step": [...], "loss": [...], ...} per batch

    It works next to any other callbacks (EarlyStopping, ModelCheckpoint,
    ReduceLROnPlateau, learning-rate schedules) and with an unknown number
    of steps per epoch. Stop ends training after the current batch with the
    weights and history kept; so does interrupting the kernel.

    Args:
        title: shown at the top of the view (e.g. the experiment's name).
        update_interval: seconds between updates of the view; the default
            (a quarter second) keeps the cost invisible next to training.

    Attributes:
        history: metric name -> per-epoch values of the last `fit`.
        batch_history: per-batch columns of the last `fit`: "epoch", "step"
            and each metric as Keras reports it (running means in the epoch).
        state: "running", "finished", "stopped", "interrupted" or "failed".
        stopped_at: (epoch, steps done in it) where a fit ended early, else None;
            `epoch` counts from 0, as Keras' callbacks do.
    """

    def __init__(self, title: str = "", update_interval: float = 0.25) -> None:
        if not isinstance(update_interval, int | float) or not update_interval > 0:
            raise KerasnbError(
                f"update_interval must be a positive number of seconds, got {update_interval!r}; "
                "e.g. LiveMetrics(update_interval=0.5)"
            )
        super().__init__()
        self.title = str(title)
        self.update_interval = float(update_interval)
        self.async_safe = ASYNC_SAFE.get(keras.backend.backend(), False)
        self.history: dict[str, list[float]] = {}
        self.batch_history: dict[str, list[Any]] = {}
        self.state: str | None = None
        self.stopped_at: tuple[int, int] | None = None
        self._run: _Run | None = None
        self._display: live_display.NoDisplay = live_display.NoDisplay()
        self._queue = BatchQueue()
        self._epoch_logs: tuple[int, Any] | None = None
        self._eval_done: collections.deque[int] = collections.deque()  # evaluate/predict steps
        self._next_tick = math.inf
        self._eval_step = 0

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params  # Keras' progress bar reads `verbose` here; we always show.

    # fit -------------------------------------------------------------------

    def on_train_begin(self, logs: Any = None) -> None:
        self._begin("fit")

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._commit_epoch()
        self._drain(everything=True)
        self._queue.restart(getattr(self.model, "steps_per_execution", 1) or 1)
        self._stream.begin_epoch(epoch)
        self._run.learning_rate_stale = True  # type: ignore[union-attr]

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        if self._display.wake or time.monotonic() >= self._next_tick:
            self._tick()

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self._queue.put((batch, logs))

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self._drain(everything=True)  # Keras has waited for every batch-end hook
        # Callbacks after us may still add to these logs (ReduceLROnPlateau adds
        # "learning_rate"); they are read at the next hook, complete, as History sees them.
        self._epoch_logs = (epoch, logs)

    def _commit_epoch(self) -> None:
        if self._epoch_logs is None or self._run is None:
            return
        (epoch, logs), self._epoch_logs = self._epoch_logs, None
        self._run.stream.end_epoch(epoch, logs)
        self._read_learning_rate()
        if self._display.wake or time.monotonic() >= self._next_tick:
            self._tick()

    def on_train_end(self, logs: Any = None) -> None:
        run = self._run
        if run is None or run.state != RUNNING:
            return
        self._interrupt_if_asked()
        self._commit_epoch()
        self._drain(everything=True)
        stream = run.stream
        where = f"epoch {stream.epoch + 1}/{stream.epochs}"
        if run.stopped_by_user:
            self._finish(STOPPED, f"fit stopped with the Stop button at {where}, {_steps(stream)}")
        elif getattr(self.model, "stop_training", False):
            self._finish(STOPPED, f"fit stopped early by a callback after {where}")
        else:
            epochs = f"{stream.epochs} epoch{'s' if stream.epochs != 1 else ''}"
            self._finish(FINISHED, f"fit finished: {epochs}")

    # evaluate (also the validation inside fit) and predict ---------------

    def on_test_begin(self, logs: Any = None) -> None:
        if self._in_fit():
            self._eval_done.clear()
            self._eval_step = 0
            self._stream.phase = "validate"
            self._stream.val_step = 0
        else:
            self._begin("evaluate")

    def on_test_batch_begin(self, batch: int, logs: Any = None) -> None:
        if self._display.wake or time.monotonic() >= self._next_tick:
            self._tick()

    def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
        self._eval_done.append(batch)

    def on_test_end(self, logs: Any = None) -> None:
        self._interrupt_if_asked()
        stream = self._stream
        self._drain()
        if self._in_fit():
            stream.phase = "train"
            stream.val_steps = stream.val_steps or self._eval_step
            return
        stream.results = {k: float(v) for k, v in (logs or {}).items() if _is_number(v)}
        self._finish(FINISHED, f"evaluate finished: {_steps(stream)}")

    def on_predict_begin(self, logs: Any = None) -> None:
        self._begin("predict")

    def on_predict_batch_begin(self, batch: int, logs: Any = None) -> None:
        if self._display.wake or time.monotonic() >= self._next_tick:
            self._tick()

    def on_predict_batch_end(self, batch: int, logs: Any = None) -> None:
        self._eval_done.append(batch)

    def on_predict_end(self, logs: Any = None) -> None:
        self._interrupt_if_asked()
        self._drain()
        self._finish(FINISHED, f"predict finished: {_steps(self._stream)}")

    # The three steps of every run: begin, tick (a few times a second), finish.

    @property
    def _stream(self) -> MetricStream:
        assert self._run is not None, "LiveMetrics hook called outside fit/evaluate/predict"
        return self._run.stream

    def _in_fit(self) -> bool:
        return (
            self._run is not None and self._run.stream.kind == "fit" and self._run.state == RUNNING
        )

    def _begin(self, kind: str) -> None:
        if self._run is not None and self._run.state == RUNNING:
            self._late_end(self._run, None)  # an earlier run never reached its end hook
        params = self.params or {}
        now = time.monotonic()
        stream = MetricStream(
            kind,
            epochs=int(params.get("epochs") or 1) if kind == "fit" else 1,
            steps=params.get("steps"),
            start=now,
        )
        self._queue.restart()
        self._epoch_logs = None
        self._eval_done.clear()
        self._eval_step = 0
        self.state = RUNNING
        if kind == "fit":
            self.history, self.batch_history = stream.history, stream.batch_history
            self.stopped_at = None
        self._run = run = _Run(stream)
        self._read_learning_rate()
        self._display = run.display = live_display.open_display(
            stream.progress(now), self.title, run.cell_end
        )
        run.interrupts = InterruptWatch(self._wake_up)
        run.interrupts.start()
        run.on_late_end = self._late_end
        self._next_tick = now + self.update_interval

    def _drain(self, everything: bool = False) -> None:
        """Move batch logs queued by Keras' worker threads into the stream, in order."""
        if self._run is None:
            return
        stream = self._run.stream
        for batch, logs in self._queue.take(everything):
            stream.add_batch(batch, logs)
        done = self._eval_done
        while done:
            self._eval_step = max(self._eval_step, done.popleft() + 1)
        if stream.phase == "validate":
            stream.val_step = self._eval_step
        elif stream.kind != "fit" and self._eval_step:
            stream.add_batch(self._eval_step - 1, None)

    def _wake_up(self) -> None:
        self._display.wake = True

    def _interrupt_if_asked(self) -> None:
        """Raise the Ctrl-C that came during the last step, now that Keras' state is whole."""
        run = self._run
        if run is not None and run.interrupts is not None and run.interrupts.take():
            raise KeyboardInterrupt

    def _tick(self) -> None:
        now = time.monotonic()
        self._next_tick = now + self.update_interval
        run, display = self._run, self._display
        if run is None or run.state != RUNNING:
            return
        self._interrupt_if_asked()
        if display.stop_requested and not run.stopped_by_user and self._in_fit():
            run.stopped_by_user = True
            self.model.stop_training = True  # Keras ends fit after this batch
        self._drain()
        if run.learning_rate_stale:
            self._read_learning_rate()
        if display.take_catch_up():
            run.stream.rewind()
        points = run.stream.take_points() if display.wants_points else None
        display.update(run.stream.progress(now), points)

    def _finish(self, state: str, message: str) -> None:
        run = self._run
        assert run is not None
        stream = run.stream
        self._next_tick = math.inf
        if run.interrupts is not None:
            run.interrupts.stop()
        run.state = self.state = state
        if stream.kind == "fit" and state != FINISHED:
            self.stopped_at = (stream.epoch, stream.step)
        run.final = stream.progress(time.monotonic(), state, message)
        points = stream.take_points() if self._display.wants_points else None
        self._display.update(run.final, points)

    def _late_end(self, run: _Run, error: BaseException | None) -> None:
        """The cell ended but this run never reached its end hook: say where it stopped."""
        if self._run is not run:
            return
        self._commit_epoch()
        self._drain(everything=True)
        stream = run.stream
        where = f"epoch {stream.epoch + 1}/{stream.epochs}, {_steps(stream)}"
        if stream.kind != "fit":
            where = _steps(stream)
        if isinstance(error, KeyboardInterrupt):
            kept = (
                "; history and batch_history keep everything so far" if stream.kind == "fit" else ""
            )
            self._finish(INTERRUPTED, f"{stream.kind} interrupted at {where}{kept}")
        elif error is not None:
            self._finish(
                FAILED, f"{stream.kind} failed at {where}: {type(error).__name__}: {error}"
            )
        else:
            self._finish(INTERRUPTED, f"{stream.kind} ended early at {where}")

    def _read_learning_rate(self) -> None:
        run = self._run
        optimizer = getattr(self.model, "optimizer", None)
        if run is None or run.stream.kind != "fit" or optimizer is None:
            return
        run.learning_rate_stale = False
        try:
            value = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        except Exception:  # an optimizer without a readable rate: show none
            return
        run.stream.set_learning_rate(value)


class _Run:
    """One fit/evaluate/predict of a LiveMetrics: its stream, display and end."""

    def __init__(self, stream: MetricStream) -> None:
        self.stream = stream
        self.state = RUNNING
        self.stopped_by_user = False
        self.learning_rate_stale = True
        self.final: Progress | None = None
        self.display: live_display.NoDisplay | None = None
        self.interrupts: InterruptWatch | None = None
        self.on_late_end: Any = None

    def cell_end(self, error: BaseException | None) -> RunRecord:
        if self.state == RUNNING and self.on_late_end is not None:
            self.on_late_end(self, error)
        final = self.final or self.stream.progress(time.monotonic())
        return self.stream.record(final)


def _steps(stream: MetricStream) -> str:
    total = f"/{stream.steps}" if stream.steps else ""
    return f"step {stream.step}{total}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

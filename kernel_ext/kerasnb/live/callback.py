"""`LiveMetrics`: watch `fit`, `evaluate` and `predict` live in the notebook.

It is a Keras callback and replaces Keras' text progress bar (it subclasses
`ProgbarLogger`, which is how Keras knows not to add its own), so the saved
notebook holds curves and a small table instead of hundreds of progress lines.

Per batch it does almost nothing: the batch-end hook queues the logs Keras
already converted, and the batch-begin hook (always on the training thread)
compares the clock with the next update time. A few times a second it hands
new points to the view; nothing is ever resent. Each fit, evaluate or
predict is one `_Run`, which owns everything about it; the callback only
routes Keras' hooks to the current run. This module imports Keras, so it
holds no session state: it is re-imported after a backend switch.
"""

from __future__ import annotations

import collections
import math
import time
from typing import Any

import keras

from kerasnb.errors import KerasnbError
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
)

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
        self._run: _Run | None = None  # the latest fit, evaluate or predict
        self._fit: _Run | None = None  # the latest fit

    @property
    def history(self) -> dict[str, list[float]]:
        return self._fit.stream.history if self._fit else {}

    @property
    def batch_history(self) -> dict[str, list[Any]]:
        return self._fit.stream.batch_history if self._fit else {}

    @property
    def state(self) -> str | None:
        return self._run.state if self._run else None

    @property
    def stopped_at(self) -> tuple[int, int] | None:
        return self._fit.stopped_at if self._fit else None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """Shown again (its name as a cell's last line): its curves and table, live while
        the run goes on, as the static twins (with the widget) once it has ended."""
        from kerasnb.live import view

        run = self._run
        if run is None:
            text = f"LiveMetrics{f' · {self.title}' if self.title else ''}: no run yet; pass it to fit(callbacks=[...])"
            return {"text/plain": text}
        return run.bundle(self.title, view)

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params  # Keras' progress bar reads `verbose` here; we always show.

    def _begin(self, kind: str) -> None:
        if self._run is not None and self._run.state == RUNNING:
            self._run.end_early(None)  # an earlier run never reached its end hook
        self._run = _Run(kind, self.params or {}, self.model, self.title, self.update_interval)
        if kind == "fit":
            self._fit = self._run

    def _in_fit(self) -> bool:
        run = self._run
        return run is not None and run.stream.kind == "fit" and run.state == RUNNING

    # Keras' hooks: each one hands over to the current run.

    def on_train_begin(self, logs: Any = None) -> None:
        self._begin("fit")

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._run.begin_epoch(epoch)  # type: ignore[union-attr]

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        self._run.maybe_tick()  # type: ignore[union-attr]

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self._run.queue.put((batch, logs))  # type: ignore[union-attr]

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self._run.end_epoch(epoch, logs)  # type: ignore[union-attr]

    def on_train_end(self, logs: Any = None) -> None:
        if self._run is not None and self._run.state == RUNNING:
            self._run.end_fit()

    def on_test_begin(self, logs: Any = None) -> None:
        if self._in_fit():
            self._run.begin_validation()  # type: ignore[union-attr]
        else:
            self._begin("evaluate")

    def on_test_batch_begin(self, batch: int, logs: Any = None) -> None:
        self._run.maybe_tick()  # type: ignore[union-attr]

    def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
        self._run.eval_done.append(batch)  # type: ignore[union-attr]

    def on_test_end(self, logs: Any = None) -> None:
        self._run.end_test(logs)  # type: ignore[union-attr]

    def on_predict_begin(self, logs: Any = None) -> None:
        self._begin("predict")

    def on_predict_batch_begin(self, batch: int, logs: Any = None) -> None:
        self._run.maybe_tick()  # type: ignore[union-attr]

    def on_predict_batch_end(self, batch: int, logs: Any = None) -> None:
        self._run.eval_done.append(batch)  # type: ignore[union-attr]

    def on_predict_end(self, logs: Any = None) -> None:
        self._run.end_predict()  # type: ignore[union-attr]


class _Run:
    """One fit, evaluate or predict: its stream, its view, its clock and how it ended.

    It begins, ticks a few times a second (sending progress and new points),
    and finishes once: at its end hook, or, if the cell ended first (an
    error, Ctrl-C), when the cell ends.
    """

    def __init__(
        self, kind: str, params: dict[str, Any], model: Any, title: str, interval: float
    ) -> None:
        now = time.monotonic()
        self.stream = MetricStream(
            kind,
            epochs=int(params.get("epochs") or 1) if kind == "fit" else 1,
            steps=params.get("steps"),
            start=now,
        )
        self.model = model
        self.interval = interval
        self.state = RUNNING
        self.stopped_at: tuple[int, int] | None = None
        self.queue = BatchQueue()  # fit's batch logs, from Keras' worker threads
        self.eval_done: collections.deque[int] = collections.deque()  # evaluate/predict steps
        self._eval_step = 0
        self._epoch_logs: tuple[int, Any] | None = None
        self._stopped_by_user = False
        self._learning_rate_stale = True
        self._final: Progress | None = None
        self._read_learning_rate()
        self.display = live_display.open_display(self.stream.progress(now), title)
        self._interrupts = InterruptWatch(self.display.wake_up)
        self._interrupts.start()
        self._next_tick = now + interval
        live_display.call_at_cell_end(self._cell_ended)

    # Feeding, from Keras' hooks ---------------------------------------------

    def begin_epoch(self, epoch: int) -> None:
        self._commit_epoch()
        self._drain(everything=True)
        self.queue.restart(getattr(self.model, "steps_per_execution", 1) or 1)
        self.stream.begin_epoch(epoch)
        self._learning_rate_stale = True

    def end_epoch(self, epoch: int, logs: Any) -> None:
        self._drain(everything=True)  # Keras has waited for every batch-end hook
        # Callbacks after us may still add to these logs (ReduceLROnPlateau adds
        # "learning_rate"); they are read at the next hook, complete, as History sees them.
        self._epoch_logs = (epoch, logs)

    def begin_validation(self) -> None:
        self.eval_done.clear()
        self._eval_step = 0
        self.stream.begin_validation()

    def end_test(self, logs: Any) -> None:
        self._interrupt_if_asked()
        self._drain()
        if self.stream.kind == "fit":
            self.stream.end_validation()
            return
        self.stream.set_results(logs)
        self._finish(FINISHED, f"evaluate finished: {_steps(self.stream)}")

    def end_predict(self) -> None:
        self._interrupt_if_asked()
        self._drain()
        self._finish(FINISHED, f"predict finished: {_steps(self.stream)}")

    def end_fit(self) -> None:
        self._interrupt_if_asked()
        self._commit_epoch()
        self._drain(everything=True)
        stream = self.stream
        where = f"epoch {stream.epoch + 1}/{stream.epochs}"
        if self._stopped_by_user:
            self._finish(STOPPED, f"fit stopped with the Stop button at {where}, {_steps(stream)}")
        elif getattr(self.model, "stop_training", False):
            self._finish(STOPPED, f"fit stopped early by a callback after {where}")
        else:
            epochs = f"{stream.epochs} epoch{'s' if stream.epochs != 1 else ''}"
            self._finish(FINISHED, f"fit finished: {epochs}")

    def _commit_epoch(self) -> None:
        if self._epoch_logs is None:
            return
        (epoch, logs), self._epoch_logs = self._epoch_logs, None
        self.stream.end_epoch(epoch, logs)
        self._read_learning_rate()
        self.maybe_tick()

    def _drain(self, everything: bool = False) -> None:
        """Move batch logs queued by Keras' worker threads into the stream, in order."""
        stream = self.stream
        for batch, logs in self.queue.take(everything):
            stream.add_batch(batch, logs)
        done = self.eval_done
        while done:
            self._eval_step = max(self._eval_step, done.popleft() + 1)
        if stream.phase == "validate":
            stream.validated(self._eval_step)
        elif stream.kind != "fit" and self._eval_step:
            stream.add_batch(self._eval_step - 1, None)

    # Ticking: a few times a second, on the training thread -----------------

    def maybe_tick(self) -> None:
        """Update the view if it is time, or if the browser or Ctrl-C asked."""
        if self.display.wake or time.monotonic() >= self._next_tick:
            self._tick()

    def _tick(self) -> None:
        now = time.monotonic()
        self._next_tick = now + self.interval
        display = self.display
        if self.state != RUNNING:
            return
        self._interrupt_if_asked()
        if display.stop_requested and not self._stopped_by_user and self.stream.kind == "fit":
            self._stopped_by_user = True
            self.model.stop_training = True  # Keras ends fit after this batch
        self._drain()
        if self._learning_rate_stale:
            self._read_learning_rate()
        if display.take_catch_up():
            self.stream.rewind()
        points = self.stream.take_points() if display.wants_points else None
        display.update(self.stream.progress(now), points)

    def _interrupt_if_asked(self) -> None:
        """Raise the Ctrl-C that came during the last step, now that Keras' state is whole."""
        if self._interrupts.take():
            raise KeyboardInterrupt

    def _read_learning_rate(self) -> None:
        optimizer = getattr(self.model, "optimizer", None)
        if self.stream.kind != "fit" or optimizer is None:
            return
        self._learning_rate_stale = False
        try:
            value = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        except Exception:  # an optimizer without a readable rate: show none
            return
        self.stream.set_learning_rate(value)

    # Ending --------------------------------------------------------------------

    def _finish(self, state: str, message: str) -> None:
        stream = self.stream
        self._next_tick = math.inf
        self._interrupts.stop()
        self.state = state
        if stream.kind == "fit" and state != FINISHED:
            self.stopped_at = (stream.epoch, stream.step)
        self._final = stream.progress(time.monotonic(), state, message)
        points = stream.take_points() if self.display.wants_points else None
        self.display.update(self._final, points)

    def end_early(self, error: BaseException | None) -> None:
        """The run never reached its end hook (the cell failed, or a new run began)."""
        self._commit_epoch()
        self._drain(everything=True)
        stream = self.stream
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

    def bundle(self, title: str, view: Any) -> dict[str, Any]:
        """This run as a new output: another live view while it runs, else its final face."""
        if self.state == RUNNING:
            live = self.display.another_view(self.stream.progress(time.monotonic()), title)
            if live is not None:
                return live
        record = self.stream.record(self._final or self.stream.progress(time.monotonic()))
        shown = view.TrainingView(kind=record.progress.kind, title=title,
                                  progress=record.progress.to_dict(), snapshot=record.points,
                                  table=view.final_table(record))  # fmt: skip
        return view.final_bundle(shown, record)

    def _cell_ended(self, error: BaseException | None) -> None:
        """The cell that ran this run is over: settle the view into its static twin."""
        if self.state == RUNNING:
            self.end_early(error)
        final = self._final or self.stream.progress(time.monotonic())
        self.display.finish(self.stream.record(final))


def _steps(stream: MetricStream) -> str:
    total = f"/{stream.steps}" if stream.steps else ""
    return f"step {stream.step}{total}"

"""The plain-data side of live training, in this process: no Keras, no kernel.

MetricStream and BatchQueue (what LiveMetrics feeds), the static fallback
(matplotlib PNG and tables) and the live-mode status. What needs Keras and a
kernel is in test_training_kernel.py.
"""

from __future__ import annotations

import json
import math
import threading

import pytest

from kerasnb.live import busy_comm
from kerasnb.live import mode as live_mode
from kerasnb.live import static as training_static
from kerasnb.live import view as views
from kerasnb.live.metric_stream import (
    FINISHED,
    INTERRUPTED,
    BatchQueue,
    MetricStream,
    json_number,
)

NAN, INF = float("nan"), float("inf")


def _fit_stream(epochs: int = 2, steps: int | None = 4) -> MetricStream:
    stream = MetricStream("fit", epochs=epochs, steps=steps, start=0.0)
    for epoch in range(epochs):
        stream.begin_epoch(epoch)
        for step in range(4):
            stream.add_batch(step, {"loss": 1.0 / (epoch * 4 + step + 1), "mae": 0.5})
        stream.end_epoch(epoch, {"loss": [0.3, 0.2][epoch], "mae": 0.5, "val_loss": 0.4})
    return stream


def test_history_is_keras_shaped_and_batch_history_is_columnar() -> None:
    stream = _fit_stream()
    assert stream.history == {"loss": [0.3, 0.2], "mae": [0.5, 0.5], "val_loss": [0.4, 0.4]}
    assert stream.batch_history["epoch"] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert stream.batch_history["step"] == [0, 1, 2, 3] * 2
    assert stream.batch_history["loss"][4] == 0.2
    assert stream.total_steps == 8


def test_points_are_handed_out_once_never_resent() -> None:
    stream = MetricStream("fit", epochs=1, steps=10, start=0.0)
    stream.add_batch(0, {"loss": 1.0})
    stream.add_batch(1, {"loss": 0.9})
    first = stream.take_points()
    assert first is not None and first["reset"] is True
    assert first["batches"]["x"] == [1, 2]
    assert stream.take_points() is None  # nothing new: nothing sent
    stream.add_batch(2, {"loss": 0.8, "acc": 0.5})  # a metric that appears late
    second = stream.take_points()
    assert second is not None and second["reset"] is False
    assert second["batches"] == {"x": [3], "epoch": [0], "metrics": {"loss": [0.8], "acc": [0.5]}}
    assert stream.batch_history["acc"] == [None, None, 0.5]
    stream.rewind()  # a new page asks to be caught up: everything, once
    again = stream.take_points()
    assert again is not None and again["reset"] is True and again["batches"]["x"] == [1, 2, 3]


def test_points_thinned_per_message_keep_the_newest_and_skip_none_later() -> None:
    stream = MetricStream("fit", epochs=1, steps=1000, start=0.0)
    for step in range(1000):
        stream.add_batch(step, {"loss": 1.0 / (step + 1)})
    first = stream.take_points(max_points=100)
    assert first is not None
    xs = first["batches"]["x"]
    assert len(xs) <= 101 and xs[0] == 1 and xs[-1] == 1000  # bounded, newest kept
    assert first["batches"]["metrics"]["loss"][-1] == 1.0 / 1000
    stream.add_batch(1000, {"loss": 0.0})
    second = stream.take_points(max_points=100)
    assert second is not None and second["batches"]["x"] == [1001]  # starts after the last one
    assert len(stream.snapshot(max_points=5000)["batches"]["x"]) == 1001  # all kept here


def test_nan_and_inf_travel_as_json_the_browser_parses() -> None:
    stream = MetricStream("fit", epochs=1, steps=3, start=0.0)
    for step, loss in enumerate([1.0, NAN, INF]):
        stream.add_batch(step, {"loss": loss})
    stream.end_epoch(0, {"loss": -INF})
    text = json.dumps(stream.take_points(), allow_nan=False)  # raises on a bare NaN
    assert '"loss": [1.0, "NaN", "Infinity"]' in text
    assert '"-Infinity"' in text
    assert math.isnan(stream.history["loss"][0] + NAN) and stream.batch_history["loss"][2] == INF
    assert [json_number(v) for v in (None, 3, "x", True)] == [None, 3, "x", True]


def test_snapshot_thins_batches_but_keeps_the_newest_point() -> None:
    stream = MetricStream("fit", epochs=1, steps=2500, start=0.0)
    for step in range(2500):
        stream.add_batch(step, {"loss": float(step)})
    snap = stream.snapshot(max_points=1000)
    assert len(snap["batches"]["x"]) <= 1001
    assert snap["batches"]["x"][-1] == 2500 and snap["batches"]["metrics"]["loss"][-1] == 2499.0


def test_progress_eta_and_unknown_steps() -> None:
    stream = MetricStream("fit", epochs=3, steps=None, start=0.0)
    stream.begin_epoch(0)
    for step in range(50):
        stream.add_batch(step, {"loss": 1.0})
    running = stream.progress(1.0)
    assert running.steps is None and running.eta_s is None  # unknown until an epoch ends
    assert running.rate == 50.0
    stream.end_epoch(0, {"loss": 1.0})
    stream.begin_epoch(1)
    for step in range(25):
        stream.add_batch(step, {"loss": 1.0})
    later = stream.progress(1.5)
    assert later.steps == 50 and later.total_steps == 75
    assert later.eta_s is not None and later.eta_s > 0  # 25 + 50 steps left
    assert stream.progress(2.0, FINISHED, "done").eta_s is None


def test_batch_queue_gives_worker_thread_batches_back_in_order() -> None:
    queue = BatchQueue()
    queue.restart()
    for step in (1, 2, 0, 4):  # Keras' thread pool may finish batch 1 before batch 0
        queue.put((step, {"loss": float(step)}))
    assert [s for s, _ in queue.take()] == [0, 1, 2]  # 4 waits for 3
    assert queue.take() == []
    assert [s for s, _ in queue.take(everything=True)] == [4]
    queue.restart(stride=3)  # steps_per_execution=3: Keras reports steps 2, 5, 8
    threads = [threading.Thread(target=queue.put, args=((s, None),)) for s in (8, 2, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [s for s, _ in queue.take()] == [2, 5, 8]


def _record(state: str = FINISHED, kind: str = "fit", message: str = "fit finished: 2 epochs"):
    stream = _fit_stream()
    stream.set_learning_rate(0.01)
    stream.set_learning_rate(0.001)
    return stream.record(stream.progress(2.0, state, message))


def test_final_table_and_text() -> None:
    record = _record()
    header, rows = training_static.final_table(record)
    assert header == ("metric", "train (epoch 2)", "validation")
    assert rows == [("loss", "0.2", "0.4"), ("mae", "0.5", "")]
    assert training_static.learning_rate_line(record) == "learning rate: 0.01 → 0.001"
    assert training_static.fmt(NAN) == "NaN" and training_static.fmt(-INF) == "-inf"


def test_final_bundle_carries_png_html_and_text_twins() -> None:
    view = views.TrainingView(kind="fit", title="<script>alert(1)</script>")
    bundle = views.final_bundle(view, _record())
    assert {
        "text/plain",
        "text/html",
        "image/png",
        "application/vnd.jupyter.widget-view+json",
    } <= set(bundle)
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == view.model_id
    assert bundle["text/plain"].startswith("LiveMetrics · <script>alert(1)</script>: fit finished")
    assert "loss    0.2" in bundle["text/plain"]
    html = bundle["text/html"]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'src="data:image/png;base64,' in html
    assert views.final_table(_record())["rows"][-1] == ["learning rate", "0.01 → 0.001", ""]
    assert repr(view) == "<TrainingView fit>"  # stable for nbval


def test_png_survives_nan_and_inf() -> None:
    stream = MetricStream("fit", epochs=1, steps=4, start=0.0)
    for step, loss in enumerate([1.0, NAN, INF, 0.5]):
        stream.add_batch(step, {"loss": loss})
    stream.end_epoch(0, {"loss": NAN})
    png = training_static.curves_png(stream.record(stream.progress(1.0, INTERRUPTED)))
    assert png is not None and png.startswith(b"\x89PNG")


def test_evaluate_and_predict_records() -> None:
    stream = MetricStream("evaluate", steps=5, start=0.0)
    stream.add_batch(4, None)
    stream.set_results({"loss": 0.25, "mae": 0.125})
    record = stream.record(stream.progress(1.0, FINISHED, "evaluate finished: step 5/5"))
    assert training_static.final_table(record) == (
        ("metric", "value"),
        [("loss", "0.25"), ("mae", "0.125")],
    )
    assert training_static.curves_png(record) is None
    assert stream.batch_history == {"epoch": [], "step": []}  # progress only


def test_live_mode_status_texts() -> None:
    on, off = live_mode.LiveModeStatus(True), live_mode.LiveModeStatus(False)
    assert "`%keras_live off` restores Keras' own behaviour" in on.text
    assert off._repr_mimebundle_()["text/html"].startswith(
        '<div class="kerasnb-live-mode" data-live="off">'
    )


def test_busy_comm_declines_outside_a_kernel() -> None:
    assert busy_comm.listen_while_busy("some-comm-id", lambda content: None) is False
    busy_comm.stop_listening("some-comm-id")  # nothing to stop: no error


def test_first_ctrl_c_waits_for_a_step_boundary_second_one_does_not() -> None:
    import signal

    from kerasnb.live.interrupts import InterruptWatch

    woken: list[bool] = []
    before = signal.getsignal(signal.SIGINT)
    # A kernel's Ctrl-C raises KeyboardInterrupt; a suite started in the background
    # inherits SIGINT ignored, which the watch rightly leaves ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    watch = InterruptWatch(lambda: woken.append(True))
    watch.start()
    try:
        signal.raise_signal(signal.SIGINT)  # remembered, not raised mid-step
        assert woken == [True] and watch.seen
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)  # asked twice: now
        signal.raise_signal(signal.SIGINT)
        assert watch.take() is True and watch.take() is False
    finally:
        watch.stop()
        restored = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, before)
    assert restored is signal.default_int_handler


def test_an_ignored_ctrl_c_stays_ignored_under_the_watch() -> None:
    import signal

    from kerasnb.live.interrupts import InterruptWatch

    woken: list[bool] = []
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as for a job started in the background
    watch = InterruptWatch(lambda: woken.append(True))
    watch.start()
    try:
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)  # twice: still nothing raised
        assert woken == [] and watch.take() is False
    finally:
        watch.stop()
        signal.signal(signal.SIGINT, before)

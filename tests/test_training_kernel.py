"""LiveMetrics and %keras_live in real kernels on jax, torch and tensorflow.

Widget messages go over the real kernel protocol (`widget_client`), the way a
JupyterLab page sends them: "ready" to be sent points, "stop" for the button.
The interrupt is a real SIGINT from jupyter_client during a real fit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kernel_session import KernelSession, Reply
from widget_client import RunningCell, send_custom, training_view_id

pytestmark = [pytest.mark.kernel, pytest.mark.backends]

WIDGET = "application/vnd.jupyter.widget-view+json"

SETUP = """\
%load_ext kerasnb
import os, tempfile
import numpy as np, keras, kerasnb
if keras.backend.backend() == "torch":
    import torch; torch.set_num_threads(1)  # 2 OpenMP threads on 2 busy cores crawl
rng = np.random.default_rng(0)
x = rng.normal(size=(512, 8)).astype("float32")
y = (x[:, :1] * 2 - x[:, 1:2]).astype("float32")

def make_model(lr=0.01):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(1)])
    m.compile(keras.optimizers.Adam(lr), "mse", metrics=["mae"])
    return m

model = make_model()
"""


@pytest.fixture(scope="module")
def kernel(backend_kernel: KernelSession) -> Iterator[KernelSession]:
    backend_kernel.ok(SETUP)
    yield backend_kernel


def _final(reply: Reply) -> dict[str, Any]:
    """The bundle the run's output ends with (its update at cell end)."""
    assert reply.updates, f"no final update; outputs: {reply.texts}"
    return reply.updates[-1]["data"]


def _custom_points(msg: dict[str, Any]) -> dict[str, Any] | None:
    if msg["msg_type"] != "comm_msg":
        return None
    data = msg["content"]["data"]
    content = data.get("content") if data.get("method") == "custom" else None
    return content if isinstance(content, dict) and content.get("type") == "points" else None


def test_fit_with_keras_callbacks_shows_curves_not_progress_lines(kernel: KernelSession) -> None:
    reply = kernel.ok(
        'live = kerasnb.LiveMetrics(title="t1")\n'
        'ckpt = os.path.join(tempfile.mkdtemp(), "best.keras")\n'
        "cbs = [live, keras.callbacks.EarlyStopping(monitor='val_loss', patience=50),\n"
        "       keras.callbacks.ModelCheckpoint(ckpt, save_best_only=True),\n"
        "       keras.callbacks.ReduceLROnPlateau(monitor='loss', factor=0.5, patience=0, min_delta=10)]\n"
        "history = model.fit(x, y, batch_size=64, epochs=3, validation_split=0.25, callbacks=cbs)"
    )
    assert "━" not in reply.stdout and "step" not in reply.stdout  # no Keras progress bar
    [shown] = reply.outputs
    assert WIDGET in shown["data"] and "fit running" in shown["data"]["text/plain"]
    final = _final(reply)
    assert final[WIDGET]["model_id"] == shown["data"][WIDGET]["model_id"]
    text = final["text/plain"]
    assert text.startswith("LiveMetrics · t1: fit finished: 3 epochs · 18 steps in ")
    assert "metric  train (epoch 3)  validation" in text
    assert "learning rate: 0.01 → 0.0025" in text  # ReduceLROnPlateau halved it twice
    assert final["image/png"] and "data:image/png;base64," in final["text/html"]
    facts = kernel.value(
        "(live.history == history.history, sorted(live.history), len(live.batch_history['loss']),"
        " live.batch_history['epoch'][-1], live.state, live.stopped_at, os.path.exists(ckpt))"
    )
    keys = ["learning_rate", "loss", "mae", "val_loss", "val_mae"]
    assert facts == (True, keys, 18, 2, "finished", None, True)


def test_a_live_metrics_shown_again_shows_its_curves_and_table(kernel: KernelSession) -> None:
    assert kernel.ok("kerasnb.LiveMetrics(title='fresh')").texts == [
        "LiveMetrics · fresh: no run yet; pass it to fit(callbacks=[...])"
    ]
    again = kernel.ok("live").outputs[-1]["data"]  # the finished run of the test above
    assert WIDGET in again and again["image/png"]
    assert again["text/plain"].startswith("LiveMetrics · t1: fit finished: 3 epochs")
    assert "data:image/png;base64," in again["text/html"]
    assert "<kerasnb.live" not in again["text/plain"]


def test_learning_rate_schedule_is_followed(kernel: KernelSession) -> None:
    reply = kernel.ok(
        "decay = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=8, decay_rate=0.5)\n"
        "scheduled = make_model()\n"
        "scheduled.compile(keras.optimizers.Adam(decay), 'mse')\n"
        "h = scheduled.fit(x, y, batch_size=64, epochs=2, callbacks=[kerasnb.LiveMetrics()])"
    )
    assert "learning rate: 0.01 → 0.0025" in _final(reply)["text/plain"]  # 16 steps, halved per 8


def test_bad_argument_says_how_to_fix(kernel: KernelSession) -> None:
    reply = kernel.run("kerasnb.LiveMetrics(update_interval=0)")
    assert reply.error_line == (
        "KerasnbError: update_interval must be a positive number of seconds, got 0; "
        "e.g. LiveMetrics(update_interval=0.5)"
    )


def test_stop_button_message_ends_fit_after_the_current_batch(kernel: KernelSession) -> None:
    # The view's constructor is slowed down (a patched constructor: nothing else
    # forces this race) so that the page's "ready", sent as
    # soon as the widget's comm opens, surely arrives before it returns: the
    # kernel must be listening by then (it once missed it and sent no points).
    cell = RunningCell(
        kernel,
        "import time\n"
        "from kerasnb.live import view as views\n"
        "constructor = views.TrainingView.__init__\n"
        "def slow_constructor(self, *args, **kwargs):\n"
        "    constructor(self, *args, **kwargs)\n"
        "    time.sleep(0.3)\n"
        "views.TrainingView.__init__ = slow_constructor\n"
        "try:\n"
        "    live = kerasnb.LiveMetrics()\n"
        "    history = model.fit(x, y, batch_size=16, epochs=500, callbacks=[live])\n"
        "finally:\n"
        "    views.TrainingView.__init__ = constructor",
    )
    comm: list[str] = []

    def view_opened(msg: dict[str, Any]) -> bool:
        comm_id = training_view_id(msg)
        if comm_id is not None:
            comm.append(comm_id)
        return bool(comm)

    cell.watch(view_opened)
    send_custom(kernel, comm[0], {"type": "ready"})  # what the page says when it appears
    cell.watch(lambda msg: len([m for m in cell.messages if _custom_points(m)]) >= 2)
    send_custom(kernel, comm[0], {"type": "stop"})  # points arrive while fit runs; now Stop
    reply = cell.finish()
    points = [p for p in map(_custom_points, cell.messages) if p]
    assert reply.error is None
    assert "fit stopped with the Stop button at epoch " in _final(reply)["text/plain"]
    # Points came as increments: one catch-up, then only new steps, none twice.
    assert [p["reset"] for p in points] == [True] + [False] * (len(points) - 1)
    xs = [x for p in points for x in p["batches"]["x"]]
    assert xs == sorted(set(xs)) and xs[0] == 1
    facts = kernel.value(
        "(live.state, live.stopped_at is not None, len(history.history['loss']) < 500,"
        " live.history == history.history, live.batch_history['step'][-1] + 1 == live.stopped_at[1],"
        " model.predict(x[:2], verbose=0).shape)"
    )
    assert facts == ("stopped", True, True, True, True, (2, 1))


def test_unload_gives_ipykernel_its_message_routing_back(kernel: KernelSession) -> None:
    hook = (
        "__import__('ipykernel.comm.comm', fromlist=['BaseComm'])"
        ".BaseComm._reply_subshell_for.__qualname__"
    )
    kernel.ok("model.fit(x, y, batch_size=64, epochs=1, callbacks=[kerasnb.LiveMetrics()])")
    assert kernel.value(hook).endswith("route_and_look")  # kerasnb sees Stop while fit runs
    kernel.ok("%unload_ext kerasnb")
    assert kernel.value(hook) == "BaseComm._reply_subshell_for"
    kernel.ok("%load_ext kerasnb")
    kernel.ok("model.fit(x, y, batch_size=64, epochs=1, callbacks=[kerasnb.LiveMetrics()])")
    assert kernel.value(hook).endswith("route_and_look")


def test_interrupt_during_fit_keeps_everything_so_far(kernel: KernelSession) -> None:
    cell = RunningCell(
        kernel,
        "live = kerasnb.LiveMetrics()\nmodel.fit(x, y, batch_size=16, epochs=500, callbacks=[live])",
    )

    def training_started(msg: dict[str, Any]) -> bool:
        state = (
            msg["content"].get("data", {}).get("state", {}) if msg["msg_type"] == "comm_msg" else {}
        )
        return bool(state.get("progress", {}).get("total_steps"))

    cell.watch(training_started)  # the view's progress says steps are done
    kernel.manager.interrupt_kernel()
    reply = cell.finish()
    assert reply.error is not None and reply.error["ename"] == "KeyboardInterrupt"
    text = _final(reply)["text/plain"]
    assert "LiveMetrics · fit interrupted at epoch " in text
    assert "history and batch_history keep everything so far" in text
    facts = kernel.value(
        "(live.state, live.stopped_at is not None, len(live.batch_history['loss']) > 0,"
        " len(live.history.get('loss', [])) - live.stopped_at[0] in (0, 1),"
        " model.predict(x[:2], verbose=0).shape,"
        " len(model.fit(x, y, batch_size=64, epochs=1, verbose=0).history['loss']))"
    )
    assert facts == ("interrupted", True, True, True, (2, 1), 1)


def test_unknown_steps_nan_evaluate_and_predict(kernel: KernelSession) -> None:
    reply = kernel.ok(
        "def batches():\n"
        "    for i in range(0, 512, 64):\n"
        "        yield x[i:i + 64], y[i:i + 64]\n"
        "gen = kerasnb.LiveMetrics()\n"
        "model.fit(batches(), epochs=1, callbacks=[gen])"
    )
    assert "fit finished: 1 epoch · 8 steps in " in _final(reply)["text/plain"]
    assert kernel.value("(gen.params['steps'], gen.batch_history['step'])") == (
        None,
        list(range(8)),
    )
    reply = kernel.ok(
        "y_bad = y.copy(); y_bad[::7] = np.nan\n"
        "bad = kerasnb.LiveMetrics()\n"
        "make_model().fit(x, y_bad, batch_size=64, epochs=2, callbacks=[bad])"
    )
    final = _final(reply)
    assert "loss    NaN" in final["text/plain"] and final["image/png"]
    assert kernel.value("[str(v) for v in bad.history['loss']]") == ["nan", "nan"]
    reply = kernel.ok("model.evaluate(x, y, batch_size=64, callbacks=[kerasnb.LiveMetrics()])")
    text = _final(reply)["text/plain"]
    assert "evaluate finished: step 8/8" in text and "metric  value" in text and "loss" in text
    reply = kernel.ok("model.predict(x, batch_size=64, callbacks=[kerasnb.LiveMetrics()]).shape")
    assert "predict finished: step 8/8" in _final(reply)["text/plain"]
    assert "━" not in reply.stdout


def test_keras_live_on_streams_every_fit_and_off_restores_keras(kernel: KernelSession) -> None:
    kernel.ok("plain_fit = keras.Model.fit")
    assert "Live training is on" in kernel.ok("%keras_live on").texts[0]
    reply = kernel.ok("model.fit(x, y, batch_size=64, epochs=2)")
    assert WIDGET in reply.outputs[0]["data"] and "━" not in reply.stdout
    assert kernel.value("sorted(kerasnb.last_live_metrics().history)") == ["loss", "mae"]
    silent = kernel.ok("h = model.fit(x, y, batch_size=64, epochs=1, verbose=0)")
    assert silent.outputs == [] and silent.stdout == ""
    reply = kernel.ok("model.evaluate(x, y, batch_size=64)")
    assert "evaluate finished" in _final(reply)["text/plain"]
    reply = kernel.ok("predicted = model.predict(x, batch_size=64)")
    assert WIDGET in reply.outputs[0]["data"] and "━" not in reply.stdout
    assert "predict finished: step 8/8" in _final(reply)["text/plain"]
    assert kernel.value("(predicted.shape, kerasnb.last_live_metrics().state)") == (
        (512, 1),
        "finished",
    )
    assert "Live training is on" in kernel.ok("%keras_live").texts[0]

    assert "Live training is off" in kernel.ok("%keras_live off").texts[0]
    assert kernel.value("('fit' in keras.Model.__dict__, keras.Model.fit is plain_fit)") == (
        False,
        True,
    )
    reply = kernel.ok("h = model.fit(x, y, batch_size=64, epochs=1)")
    assert "━" in reply.stdout and reply.outputs == []  # Keras' own progress bar again

    kernel.ok("%keras_live on")
    kernel.ok("%unload_ext kerasnb")  # unloading puts Keras back too
    assert kernel.value("'fit' in keras.Model.__dict__") is False
    kernel.ok("%load_ext kerasnb")
    assert kernel.run("%keras_live maybe").error_line == (
        "UsageError: unknown switch 'maybe'; use `%keras_live on` or `%keras_live off`"
    )


def test_keras_live_follows_a_backend_switch(kernel: KernelSession) -> None:
    start = kernel.backend  # type: ignore[attr-defined]
    target = {"jax": "torch", "torch": "tensorflow", "tensorflow": "jax"}[start]
    kernel.ok("%keras_live on")
    kernel.ok(f"%keras_backend {target}")
    reply = kernel.ok("make_model().fit(x, y, batch_size=64, epochs=1)")
    assert WIDGET in reply.outputs[0]["data"] and "━" not in reply.stdout
    assert kernel.value("(keras.backend.backend(), kerasnb.last_live_metrics().state)") == (
        target,
        "finished",
    )
    kernel.ok("%keras_live off")
    assert kernel.value("'fit' in keras.Model.__dict__") is False

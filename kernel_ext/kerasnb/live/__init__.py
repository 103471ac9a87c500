"""Live training: the LiveMetrics callback, its stream of points, its view, `%keras_live`.

    callback       LiveMetrics (a Keras callback) and one _Run per fit/evaluate/predict
    metric_stream  the run's points and progress, as plain data handed out in increments
    display        where a run shows: the live widget, settled into its static twin
    view           TrainingView (anywidget) and the final bundle; training.js draws
    static         the PNG and tables a saved notebook keeps
    busy_comm      seeing the browser's Stop while the cell still runs
    interrupts     Ctrl-C at a step boundary
    mode           %keras_live on/off: a LiveMetrics on every later call

Uses only the shared helpers (and kerasnb.backend's switch listeners) below it.
"""

from __future__ import annotations

import sys


def shutdown() -> None:
    """Undo what live training changed in the kernel (`%unload_ext`)."""
    mode = sys.modules.get("kerasnb.live.mode")
    if mode is not None:
        mode.shutdown()
    busy_comm = sys.modules.get("kerasnb.live.busy_comm")
    if busy_comm is not None:
        busy_comm.shutdown()

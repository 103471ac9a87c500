"""The few rules that hold kerasnb together, written down once, as data.

Code and tests read these tables; nothing else restates them.

- `FLOORS`: every package of kerasnb sits on a floor, and imports (lazy ones
  included) only go to a lower floor or stay inside their own package. The
  IPython layer is on top, features in the middle (a feature may use the
  public data of a feature below it), shared helpers and errors at the bottom.
  `tests/test_layout.py` walks every import and fails on a cycle or an import
  that runs back up.
- `KERAS_MODULES`: the modules that hold Keras objects at module level.
  `keras.config.set_backend` drops every `keras*` module, kerasnb included;
  kerasnb puts back all its other modules (they hold session state: warm
  kernels, caches) and lets these few be imported afresh on the new backend.
- `FEATURES`: the feature packages; `%unload_ext kerasnb` calls each one's
  `shutdown()` so it can undo what it changed in the kernel.

This module imports nothing.
"""

from __future__ import annotations

FLOORS: dict[str, int] = {
    # bottom: plain helpers and data, importing nothing of kerasnb
    "kerasnb.errors": 0,
    "kerasnb.layout": 0,
    "kerasnb.submodule_guard": 0,
    "kerasnb.shared": 0,
    # features, each in its own package; higher ones may use lower ones' data
    "kerasnb.backend": 1,
    "kerasnb.model_views": 2,
    "kerasnb.live": 2,
    "kerasnb.export": 2,
    "kerasnb.comparison": 3,
    "kerasnb.pitfalls": 4,
    "kerasnb.lab": 4,  # the JupyterLab plugins' comm: status, switching, the model list
    # the IPython layer and the command line: parse, then call a feature
    "kerasnb.magics": 5,
    "kerasnb.cli": 5,
    "kerasnb.extension": 6,
    "kerasnb.__main__": 6,
    "kerasnb": 7,  # the package face: the public API, resolved lazily
}

KERAS_MODULES: frozenset[str] = frozenset(
    {
        "kerasnb.model_views.introspect",
        "kerasnb.model_views.layer_config",
        "kerasnb.model_views.shapes",
        "kerasnb.live.callback",
    }
)

FEATURES: tuple[str, ...] = (
    "kerasnb.backend",
    "kerasnb.model_views",
    "kerasnb.live",
    "kerasnb.export",
    "kerasnb.comparison",
    "kerasnb.pitfalls",
    "kerasnb.lab",
)


def floor_of(module: str) -> int | None:
    """The floor of a kerasnb module: that of its package, or None if unlisted."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        floor = FLOORS.get(".".join(parts[:end]))
        if floor is not None:
            return floor
    return None

"""kerasnb: build, watch, compare and ship multi-backend Keras 3 models in Jupyter.

`%load_ext kerasnb` registers the magics and imports no backend. Every magic
is a thin layer over a public function here, which works without IPython.
Names are imported on first use so that `import kerasnb` stays cheap.

One hop from here to each feature's package (backend, model_views, live,
comparison, export, pitfalls for the doctor, lab for the JupyterLab
extension's comm), each holding its data, its view and its front-end code;
kerasnb.layout holds the rules that tie them together.
"""

from __future__ import annotations

import importlib
from typing import Any

from kerasnb import submodule_guard

submodule_guard.install()  # before any submodule: `%load_ext kerasnb.x` explains itself

__version__ = "0.1.0"

# Public name -> module that defines it (imported on first access).
_PUBLIC = {
    "backend_info": "kerasnb.backend.api",
    "set_backend": "kerasnb.backend.api",
    "frontend_status": "kerasnb.backend.api",
    "KerasnbError": "kerasnb.errors",
    "LiveMetrics": "kerasnb.live.callback",
    "live_training": "kerasnb.live.mode",
    "last_live_metrics": "kerasnb.live.mode",
    "compare": "kerasnb.comparison.api",
    "compare_setup": "kerasnb.comparison.api",
    "compare_kernels": "kerasnb.comparison.api",
    "CompareResult": "kerasnb.comparison.results",
    "RunResult": "kerasnb.comparison.results",
    "BackendKernels": "kerasnb.comparison.kernels",
    "export_cell": "kerasnb.export.cell",
    "export_notebook": "kerasnb.export.notebook",
    "export_notebooks": "kerasnb.export.notebook",
    "new_project": "kerasnb.export.project",
    "summary": "kerasnb.model_views.api",
    "doctor": "kerasnb.pitfalls.api",
    "DoctorReport": "kerasnb.pitfalls.report",
    "graph": "kerasnb.model_views.api",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'kerasnb' has no attribute {name!r}")
    # Not cached: after a backend switch, modules holding Keras are re-imported.
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))


def load_ipython_extension(ipython: Any) -> None:
    from kerasnb import extension

    extension.load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from kerasnb import extension

    extension.unload(ipython)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "kerasnb"}]

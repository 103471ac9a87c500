"""kerasnb: build, watch, compare and ship multi-backend Keras 3 models in Jupyter.

`%load_ext kerasnb` registers the magics and imports no backend. Every magic
is a thin layer over a public function here, which works without IPython.
Names are imported on first use so that `import kerasnb` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public name -> module that defines it (imported on first access).
_PUBLIC = {
    "backend_info": "kerasnb.backend",
    "set_backend": "kerasnb.backend",
    "frontend_status": "kerasnb.backend",
    "KerasnbError": "kerasnb.errors",
    "LiveMetrics": "kerasnb.training",
    "live_training": "kerasnb.live_mode",
    "last_live_metrics": "kerasnb.live_mode",
    "compare": "kerasnb.comparison",
    "compare_setup": "kerasnb.comparison",
    "compare_kernels": "kerasnb.comparison",
    "CompareResult": "kerasnb.compare_results",
    "RunResult": "kerasnb.compare_results",
    "BackendKernels": "kerasnb.kernels",
    "export_cell": "kerasnb.export",
    "export_notebook": "kerasnb.notebook_export",
    "new_project": "kerasnb.project",
    "summary": "kerasnb.model_views",
    "graph": "kerasnb.model_views",
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

"""Backend control: which Keras backend runs, which could, and switching in place.

    names      the backends, their aliases, packages and module roots (one table)
    info       BackendInfo / SwitchResult: plain data
    api        backend_info(), set_backend(), frontend_status()
    devices    each backend's devices, asked in short subprocesses
    switching  keras.config.set_backend in a live kernel, namespace re-bound
    view       HTML and text of the data above

Imports only kerasnb.shared and kerasnb.errors below it.
"""

from __future__ import annotations

import sys


def shutdown() -> None:
    """Forget the session's device answers and switch listeners (`%unload_ext`)."""
    for name in ("kerasnb.backend.devices", "kerasnb.backend.api"):
        module = sys.modules.get(name)
        if module is not None:
            module.reset()

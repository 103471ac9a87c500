"""The kernel's side of kerasnb's JupyterLab plugins: one comm, a small versioned protocol.

    protocol   the JSON messages (version 1), built and checked as plain data
    status     the backend and device the status bar and the switcher show
    namespace  the Keras models and layers in the user's namespace, for the sidebar
    channel    the comm target `kerasnb` and the post-cell refresh (ipykernel lives here)

`%load_ext kerasnb` registers the target and announces itself; each frontend
then opens its own comm, so a notebook that never loads kerasnb is never
asked to run anything. Uses kerasnb.backend's public functions below it.
"""

from __future__ import annotations

import sys


def shutdown() -> None:
    """Close every frontend's comm, drop the target and the post-cell hook (`%unload_ext`)."""
    channel = sys.modules.get("kerasnb.lab.channel")
    if channel is not None:
        channel.stop()

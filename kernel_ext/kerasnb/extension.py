"""What `%load_ext`, `%reload_ext` and `%unload_ext kerasnb` do.

Loading is cheap by design: it registers magics and imports no backend, then
registers the comm target of the JupyterLab plugins (kerasnb.lab) and
announces it, computing nothing until a page asks.
Unloading asks every feature (kerasnb.layout.FEATURES) that was used to shut
down: warm kernels stop, patched Keras methods and hooks are given back,
caches are emptied. Features never register themselves here.
"""

from __future__ import annotations

import sys
from typing import Any

from kerasnb import magics
from kerasnb.lab import channel
from kerasnb.layout import FEATURES


def load(shell: Any) -> None:
    magics.register(shell)
    channel.start(shell)


def unload(shell: Any) -> None:
    for name in reversed(FEATURES):
        feature = sys.modules.get(name)
        if feature is not None:
            feature.shutdown()
    magics.unregister(shell)

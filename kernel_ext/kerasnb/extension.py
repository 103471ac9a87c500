"""What `%load_ext`, `%reload_ext` and `%unload_ext kerasnb` do.

Loading is cheap by design: it registers magics and imports no backend.
Unloading asks every feature (kerasnb.layout.FEATURES) that was used to shut
down: warm kernels stop, patched Keras methods and hooks are given back,
caches are emptied. Features never register themselves here.
"""

from __future__ import annotations

import sys
from typing import Any

from kerasnb import magics
from kerasnb.layout import FEATURES


def load(shell: Any) -> None:
    magics.register(shell)


def unload(shell: Any) -> None:
    for name in reversed(FEATURES):
        feature = sys.modules.get(name)
        if feature is not None:
            feature.shutdown()
    magics.unregister(shell)

"""Backend comparison: one cell on JAX, PyTorch and TensorFlow at once, side by side.

In the notebook kernel:
    api           kerasnb.compare / compare_setup: validate, run, show
    kernels       the warm pool of backend kernels (one ipykernel per backend)
    backend_kernel  one backend's kernel: start, execute, notice death
    run           one compare on the pool's loop: setup replay, push, the cell
    parity        order parity's steps and measure the differences
    push          notebook variables -> data files (never pickles)
    npz           arrays in .npz files, read with allow_pickle=False
    results       CompareResult / RunResult / ParityResult: plain data
    view, curves  the side-by-side table and the overlaid curves (static)
Inside each backend kernel:
    agent         runs the compared cell and reports on it as JSON
    parity_agent  shared starting weights, outputs on the reference's weights

Uses kerasnb.backend's names and the shared helpers below it.
"""

from __future__ import annotations

import sys


def shutdown() -> None:
    """Shut the notebook's backend kernels down (`%unload_ext`)."""
    kernels = sys.modules.get("kerasnb.comparison.kernels")
    if kernels is not None:
        kernels.close_default_pool()

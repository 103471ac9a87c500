"""The doctor (`kerasnb.doctor`): the classic multi-backend Keras pitfalls, each with its fix.

The package is `pitfalls`, not `doctor`: importing a subpackage binds its name
on `kerasnb`, which would hide the public function `kerasnb.doctor`.

    api              kerasnb.doctor(model, sample, backends, checks) -> DoctorReport
    report           DoctorReport and its findings: plain data (JSON)
    view             the compact table (failures first, passes folded) and its text twin
    state            the user's model, optimizer and dtype policy, put back exactly
    sample           the inputs (and targets) the checks run on
    serialization    get_config, registration, a .keras round trip
    mixed_precision  low-precision outputs and variables, loss scaling
    trainability     what fit would really train; one step's gradients (gradients)
    other_backends   parity and export, through the backend comparison's kernels
    remote           what runs inside those backend kernels
    files            a saved model and a sample from files, for `kerasnb doctor`

Uses the comparison's kernels (parity, export), the model views' model
checks, the backend names and the shared helpers below it.
"""

from __future__ import annotations


def shutdown() -> None:
    """Nothing to undo: the doctor keeps no session state (its kernels are the comparison's)."""

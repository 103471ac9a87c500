"""`kerasnb.doctor(model)`: every check on one model, the model left exactly as it was."""

from __future__ import annotations

import time
import traceback
from collections.abc import Sequence
from typing import Any

from kerasnb.errors import KerasnbError
from kerasnb.pitfalls import (
    mixed_precision,
    other_backends,
    serialization,
    trainability,
    view,  # noqa: F401 - registers how a DoctorReport looks
)
from kerasnb.pitfalls import sample as samples
from kerasnb.pitfalls.report import CHECKS, FAIL, DoctorReport, Finding
from kerasnb.pitfalls.state import preserved

# |a - b| <= tolerance * (1 + |b|) between backends, by the precision the model computes in.
TOLERANCES = {"float32": 1e-4, "bfloat16": 3e-2, "float16": 1e-2, "quantized": 2e-2}


def doctor(
    model: Any,
    sample: Any = None,
    backends: Sequence[str] | str | None = None,
    checks: Sequence[str] | str | None = None,
    *,
    kernels: Any = None,
) -> DoctorReport:
    """Find the classic multi-backend Keras pitfalls in `model`, each with its fix.

    Args:
        model: a built Keras model.
        sample: a batch of inputs (or an `(inputs, targets)` tuple) to run
            the checks on; made from the model's input shapes when omitted.
        backends: the backends that `parity` and `export` use (names,
            aliases, or one comma-separated string); default: every installed one.
        checks: which checks to run (serialization, mixed_precision,
            parity, trainability, export); default: all of them.
        kernels: the backend kernels to use; default: the comparison's shared pool.

    Returns:
        A `DoctorReport`: `report.checks` lists every finding (name, status,
        message, fix), `report.ok` is False when any failed.

    Raises:
        KerasnbError: not a built model, a sample of the wrong shape, or an
            unknown check or backend (the message says the fix).
    """
    import keras

    from kerasnb.model_views.introspect import check_model

    chosen = _checks(checks)
    check_model(model, caller="kerasnb.doctor")
    names = _backends(backends)
    batch = samples.make(model, sample)
    started = time.monotonic()
    findings: list[Finding] = []
    tolerance = _tolerance(model)
    runners = {
        "serialization": lambda: serialization.run(model, batch, tolerance),
        "mixed_precision": lambda: mixed_precision.run(model, batch),
        "parity": lambda: other_backends.parity(model, batch, names, tolerance, kernels),
        "trainability": lambda: trainability.run(model, batch),
        "export": lambda: other_backends.export(model, batch, names, tolerance, kernels),
    }
    with preserved(model):
        for name in chosen:
            findings += _guarded(name, runners[name])
    return DoctorReport(model.name, keras.backend.backend(), tuple(findings),
                        time.monotonic() - started)  # fmt: skip


def _guarded(name: str, run: Any) -> list[Finding]:
    """A check's findings; a check that breaks becomes its own failure, the others go on."""
    try:
        return list(run())
    except KeyboardInterrupt:
        raise
    except Exception as err:
        where = traceback.extract_tb(err.__traceback__)[-1]
        return [Finding(
            name, FAIL,
            f"internal error in kerasnb's {name} check: {type(err).__name__}: {err} "
            f"({where.filename.rsplit('/', 1)[-1]}:{where.lineno})",
            "the other checks ran; please report this with the model's code",
        )]  # fmt: skip


def _checks(checks: Sequence[str] | str | None) -> tuple[str, ...]:
    if checks is None:
        return CHECKS
    items = checks.split(",") if isinstance(checks, str) else list(checks)
    names = tuple(dict.fromkeys(str(c).strip() for c in items if str(c).strip()))
    unknown = [n for n in names if n not in CHECKS]
    if unknown or not names:
        raise KerasnbError(
            f"unknown check {', '.join(map(repr, unknown)) or 'list (empty)'}; choose from: "
            f"{', '.join(CHECKS)}"
        )
    return tuple(c for c in CHECKS if c in names)


def _backends(backends: Sequence[str] | str | None) -> tuple[str, ...]:
    from kerasnb.backend import names

    if backends is None:
        return tuple(b for b in names.BACKENDS if names.is_installed(b))
    items = backends.split(",") if isinstance(backends, str) else list(backends)
    chosen = tuple(dict.fromkeys(names.normalize_name(b) for b in items if str(b).strip()))
    for backend in chosen:
        if not names.is_installed(backend):
            raise KerasnbError(
                f"the {backend} backend is not installed; install it with "
                f"`{names.backend(backend).install_command}` or leave it out of backends"
            )
    return chosen


def _tolerance(model: Any) -> float:
    policies = [
        layer.dtype_policy for layer in model._flatten_layers() if hasattr(layer, "dtype_policy")
    ]
    if any(getattr(p, "quantization_mode", None) for p in policies):
        return TOLERANCES["quantized"]
    computes = {getattr(p, "compute_dtype", "float32") for p in policies}
    for dtype in ("float16", "bfloat16"):
        if dtype in computes:
            return TOLERANCES[dtype]
    return TOLERANCES["float32"]

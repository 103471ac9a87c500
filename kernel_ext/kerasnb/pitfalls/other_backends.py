"""`parity` and `export`: the same model, with the same weights, on the other backends.

Both go through the backend comparison's warm kernels (the ones `%%keras_compare`
uses, with their `%%keras_setup` cells replayed): the model travels as the
bytes of a `.keras` file and the sample as pushed arrays, so a backend
kernel rebuilds exactly this model. A backend that cannot load or run it is
reported with its error, in its own finding.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from kerasnb.comparison import npz
from kerasnb.pitfalls.report import FAIL, PASS, SKIP, WARN, Finding
from kerasnb.pitfalls.sample import Sample

_FORMAT_NAMES = {
    "keras": ".keras",
    "tf_saved_model": "SavedModel",
    "onnx": "ONNX",
    "litert": "LiteRT",
}
_PUSHED = ("_kerasnb_doctor_model", "_kerasnb_doctor_sample")


def _model_bytes(model: Any) -> Any:
    import numpy as np

    with tempfile.TemporaryDirectory(prefix="kerasnb-doctor-") as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return np.frombuffer(path.read_bytes(), dtype=np.uint8)


def _call(function: str, model: Any, sample: Sample, backends: tuple[str, ...],
          kernels: Any) -> dict[str, tuple[Any, dict[str, Any] | None]]:  # fmt: skip
    from kerasnb.comparison.api import call_backends

    code = f"import kerasnb.pitfalls.remote as _kd\n_kd.{function}({', '.join(_PUSHED)})"
    push = dict(zip(_PUSHED, (_model_bytes(model), sample.x), strict=True))
    return call_backends(code, backends, push=push, kernels=kernels)


def _cannot_run(check: str, backend: str, run: Any) -> Finding:
    error = run.error or run.status
    if "Could not locate" in error or "could not be deserialized" in error:
        return Finding(
            check, WARN,
            f"the {backend} kernel cannot rebuild the model: {error.splitlines()[0][:300]}",
            "define the custom classes (and their registration) in a %%keras_setup cell, "
            "which every backend kernel runs first",
            backend,
        )  # fmt: skip
    return Finding(check, FAIL, f"the model does not run on {backend}: {error.splitlines()[0][:300]}",
                   backend=backend)  # fmt: skip


def parity(model: Any, sample: Sample, backends: tuple[str, ...], tolerance: float,
           kernels: Any = None) -> list[Finding]:  # fmt: skip
    import keras
    import numpy as np

    here = keras.backend.backend()
    others = tuple(b for b in backends if b != here)
    if not others:
        return [Finding("parity", SKIP, f"no backend besides {here} to compare with")]
    reference = [
        np.asarray(o, "float64") for o in keras.tree.flatten(model.predict(sample.x, verbose=0))
    ]
    found = []
    for backend, (run, report) in _call("outputs", model, sample, others, kernels).items():
        if not run.ok or not report:
            found.append(_cannot_run("parity", backend, run))
            continue
        theirs = [np.asarray(a, "float64") for a in npz.loads(report["outputs"])]
        if [a.shape for a in theirs] != [a.shape for a in reference]:
            found.append(Finding("parity", FAIL, f"outputs on {backend} have shapes "
                                 f"{[a.shape for a in theirs]}, on {here} {[a.shape for a in reference]}",
                                 backend=backend))  # fmt: skip
            continue
        gap = max(float(np.max(np.abs(a - b))) for a, b in zip(theirs, reference, strict=True))
        rel = max(float(np.max(np.abs(a - b) / np.maximum(np.abs(b), tolerance)))
                  for a, b in zip(theirs, reference, strict=True))  # fmt: skip
        within = all(np.all(np.abs(a - b) <= tolerance * (1 + np.abs(b)))
                     for a, b in zip(theirs, reference, strict=True))  # fmt: skip
        words = f"same weights on {backend} vs {here}: max |Δ| {gap:.2g}, max rel {rel:.2g}"
        if within:
            found.append(
                Finding("parity", PASS, f"{words} (tolerance {tolerance:g})", backend=backend)
            )
        else:
            found.append(Finding(
                "parity", FAIL, f"{words}, beyond the tolerance {tolerance:g}",
                "look for backend-specific code in custom layers (keras.ops only), random ops "
                "at inference, or dtype differences; %%keras_compare --parity shows training too",
                backend,
            ))  # fmt: skip
    return found


def export(model: Any, sample: Sample, backends: tuple[str, ...], tolerance: float,
           kernels: Any = None) -> list[Finding]:  # fmt: skip
    found = []
    for backend, (run, report) in _call("exports", model, sample, backends, kernels).items():
        if not run.ok or not report:
            found.append(_cannot_run("export", backend, run))
            continue
        found += [_format_finding(entry, backend, tolerance) for entry in report["formats"]]
    return found


def _format_finding(entry: dict[str, Any], backend: str, tolerance: float) -> Finding:
    name = _FORMAT_NAMES[entry["format"]]
    status = entry["status"]
    if status == "missing":
        return Finding("export", SKIP, f"{name} from {backend} needs a package that is not "
                       f"installed: {entry['error']}", entry["install"], backend)  # fmt: skip
    if status == "refused":
        failed = FAIL if entry["format"] == "keras" else SKIP
        return Finding("export", failed, f"{name} from {backend}: Keras cannot export it here "
                       f"({entry['error']})", backend=backend)  # fmt: skip
    if "max_abs" not in entry:
        return Finding("export", PASS, f"{name} from {backend}: exported; {entry['runtime']}",
                       backend=backend)  # fmt: skip
    gap = entry["max_abs"]
    if gap <= tolerance * 10:
        return Finding("export", PASS, f"{name} from {backend}: exported and run with "
                       f"{entry['runtime']}, outputs match (max |Δ| {gap:.2g})", backend=backend)  # fmt: skip
    return Finding("export", FAIL, f"{name} from {backend}: the exported model's outputs differ "
                   f"from Keras' by {gap:.3g}", "compare the exported model's inputs and dtypes "
                   "with the model's; re-export after model.predict on real data", backend)  # fmt: skip

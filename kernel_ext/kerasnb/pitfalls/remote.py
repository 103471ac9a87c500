"""What the doctor runs inside each backend's kernel (started by the backend comparison).

The notebook sends the model as the bytes of a `.keras` file and the sample
as arrays (pushed data, never pickles); answers go back as one JSON report,
arrays in it as .npz text (kerasnb.comparison.npz).
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

from kerasnb.comparison import npz

FORMATS = ("keras", "tf_saved_model", "onnx", "litert")
_INSTALL = re.compile(r"pip install ([\w.\-\[\]]+)")


def _load(model_bytes: Any, folder: Path) -> Any:
    import keras

    path = folder / "model.keras"
    path.write_bytes(bytes(model_bytes))
    with warnings.catch_warnings():  # e.g. an optimizer never built: not the user's concern
        warnings.simplefilter("ignore")
        return keras.saving.load_model(path)


def _predict(model: Any, x: Any) -> list[Any]:
    import keras
    import numpy as np

    return [np.asarray(o) for o in keras.tree.flatten(model.predict(x, verbose=0))]


def outputs(model_bytes: Any, x: Any) -> None:
    """Load the model on this backend and report its outputs on the sample."""
    from kerasnb.comparison.agent import report

    with tempfile.TemporaryDirectory(prefix="kerasnb-doctor-") as folder:
        model = _load(model_bytes, Path(folder))
        report({"outputs": npz.dumps(_predict(model, x))})


def exports(model_bytes: Any, x: Any) -> None:
    """Export the model to every serving format, run each once, report how each went."""
    import numpy as np

    from kerasnb.comparison.agent import report

    found = []
    with tempfile.TemporaryDirectory(prefix="kerasnb-doctor-") as folder:
        model = _load(model_bytes, Path(folder))
        expected = _predict(model, x)  # also calls the model, which ONNX export needs
        for fmt in FORMATS:
            entry: dict[str, Any] = {"format": fmt}
            try:
                got, runtime = _export_and_run(model, fmt, Path(folder), x)
            except ImportError as err:
                entry.update(status="missing", error=_first_line(err), install=_install(err, fmt))
            except Exception as err:
                entry.update(status="refused", error=f"{type(err).__name__}: {_first_line(err)}")
            else:
                entry.update(status="exported", runtime=runtime)
                if got is not None:
                    gaps = [float(np.max(np.abs(np.asarray(a, "float64") - b)))
                            for a, b in zip(got, expected, strict=True)]  # fmt: skip
                    entry["max_abs"] = max(gaps, default=0.0)
            found.append(entry)
    report({"formats": found})


def _export_and_run(model: Any, fmt: str, folder: Path, x: Any) -> tuple[list[Any] | None, str]:
    """Export, then run with the format's runtime when it is installed: (outputs, runtime)."""
    import keras

    if fmt == "keras":
        path = folder / "again.keras"
        model.save(path)
        return _predict(keras.saving.load_model(path), x), "keras.saving.load_model"
    path = folder / ({"litert": "model.tflite", "onnx": "model.onnx"}.get(fmt, fmt))
    with contextlib.redirect_stdout(io.StringIO()):  # exporters print progress
        model.export(str(path), format=fmt, verbose=False)
    runner = {"tf_saved_model": _run_saved_model, "onnx": _run_onnx, "litert": _run_litert}[fmt]
    return runner(path, x)


def _inputs(x: Any) -> list[Any]:
    import numpy as np

    items = x if isinstance(x, list | tuple) else list(x.values()) if isinstance(x, dict) else [x]
    return [np.asarray(item) for item in items]


def _run_saved_model(path: Path, x: Any) -> tuple[list[Any] | None, str]:
    try:
        import tensorflow as tf
    except ImportError:
        return None, "tensorflow (not installed: `%pip install tensorflow` to run it)"
    loaded = tf.saved_model.load(str(path))  # keep it: its variables live as long as it does
    out = loaded.serve(*[tf.constant(a) for a in _inputs(x)])
    return [o.numpy() for o in tf.nest.flatten(out)], "tf.saved_model"


def _run_onnx(path: Path, x: Any) -> tuple[list[Any] | None, str]:
    try:
        import onnxruntime
    except ImportError:
        return None, "onnxruntime (not installed: `%pip install onnxruntime` to run it)"
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    feed = {
        n: a.astype(_onnx_dtype(i.type))
        for n, a, i in zip(names, _inputs(x), session.get_inputs(), strict=True)
    }
    return list(session.run(None, feed)), "onnxruntime"


def _onnx_dtype(onnx_type: str) -> str:
    return {"tensor(float)": "float32", "tensor(double)": "float64", "tensor(int64)": "int64",
            "tensor(int32)": "int32", "tensor(float16)": "float16"}.get(onnx_type, "float32")  # fmt: skip


def _run_litert(path: Path, x: Any) -> tuple[list[Any] | None, str]:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tensorflow.lite import Interpreter
        except ImportError:
            return None, "LiteRT (not installed: `%pip install ai-edge-litert` to run it)"
    interpreter = Interpreter(model_path=str(path))
    arrays = _inputs(x)
    for detail, array in zip(interpreter.get_input_details(), arrays, strict=True):
        interpreter.resize_tensor_input(detail["index"], array.shape)
    interpreter.allocate_tensors()
    for detail, array in zip(interpreter.get_input_details(), arrays, strict=True):
        interpreter.set_tensor(detail["index"], array.astype(detail["dtype"]))
    interpreter.invoke()
    return [interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()], "LiteRT"


def _install(err: BaseException, fmt: str) -> str:
    named = _INSTALL.search(str(err))
    if named:
        return f"%pip install {named.group(1).rstrip('.')}"
    missing = getattr(err, "name", None)
    return f"%pip install {missing}" if missing else f"install what {fmt} export needs"


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0][:300] if lines else type(err).__name__

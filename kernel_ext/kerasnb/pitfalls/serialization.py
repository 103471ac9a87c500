"""`serialization`: will `load_model` give back this model, on any machine?

Keras' own layer tests do this for Keras' layers (config round trip, saving
round trip); the doctor does it for the user's model. Per custom class: is
it registered, does `get_config()` hold every constructor argument (and the
value it was given), does the config survive `from_config`. Then the whole
model is saved to a temporary `.keras` file, loaded back and run on the
sample. Loading happens in this process: Keras 3.15 only imports Keras'
own modules when it loads, never the notebook's `__main__`, so a class the
notebook did not register fails here exactly as in a fresh process, while
registered notebook classes (which a fresh process could not import) load.
"""

from __future__ import annotations

import inspect
import json
import tempfile
import warnings
from pathlib import Path
from typing import Any

from kerasnb.pitfalls.report import FAIL, PASS, Finding
from kerasnb.pitfalls.sample import Sample

NAME = "serialization"
_HANDLED_BY_KERAS = {"self", "name", "dtype", "trainable", "autocast", "input_shape",
                     "batch_input_shape", "input_dim"}  # fmt: skip


def run(model: Any, sample: Sample, tolerance: float) -> list[Finding]:
    findings = []
    for layer in _custom_objects(model):
        findings += _check_class(layer)
    findings += _unregistered_functions(model)
    findings.append(_round_trip(model, sample, tolerance))
    return findings


def _custom_objects(model: Any) -> list[Any]:
    """The model and its layers whose classes are not Keras' own, each class once."""
    seen: dict[type, Any] = {}
    for layer in model._flatten_layers(include_self=True):
        module = type(layer).__module__ or ""
        if not module.split(".")[0].startswith("keras"):
            seen.setdefault(type(layer), layer)
    return list(seen.values())


def _register_fix(cls: type) -> str:
    kind = "keras.Model" if _is_model(cls) else "keras.layers.Layer"
    return (
        '@keras.saving.register_keras_serializable(package="my_project")\n'
        f"class {cls.__name__}({kind}):\n    ..."
    )


def _is_model(cls: type) -> bool:
    import keras

    return issubclass(cls, keras.Model)


def _check_class(layer: Any) -> list[Finding]:
    import keras

    cls, where = type(layer), f"{type(layer).__name__} ({layer.name!r})"
    found = []
    registered = keras.saving.get_registered_name(cls)
    if keras.saving.get_registered_object(registered) is not cls:
        found.append(Finding(
            NAME, FAIL,
            f"{where} is not registered, so load_model fails with \"Could not locate class "
            f"'{cls.__name__}'\"",
            _register_fix(cls),
        ))  # fmt: skip
    try:
        config = layer.get_config()
    except Exception as err:  # Keras raises NotImplementedError for arguments it cannot save
        found.append(Finding(
            NAME, FAIL,
            f"{where}: get_config() raises {type(err).__name__}: {_first_line(err)}",
            _config_fix(cls, _init_arguments(cls)),
        ))  # fmt: skip
        return found
    missing = _missing_arguments(layer, cls, config)
    if missing:
        found.append(
            Finding(NAME, FAIL, f"{where}: {missing}", _config_fix(cls, _init_arguments(cls)))
        )
    not_json = _not_json(config)
    if not_json:
        found.append(Finding(
            NAME, FAIL,
            f"{where}: get_config() returns {not_json}, which a .keras file cannot hold",
            "return plain values from get_config (numbers, strings, lists, dicts); turn "
            "arrays into lists, and rebuild objects in __init__ or from_config",
        ))  # fmt: skip
    elif not missing:
        found += _from_config_round_trip(layer, cls, config, where)
    return found


def _init_arguments(cls: Any) -> list[inspect.Parameter]:
    parameters = inspect.signature(cls.__init__).parameters.values()
    return [
        p for p in parameters
        if p.name not in _HANDLED_BY_KERAS
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]  # fmt: skip


def _missing_arguments(layer: Any, cls: type, config: dict[str, Any]) -> str:
    """Which constructor arguments get_config() leaves out, and what that costs."""
    given = getattr(getattr(layer, "_auto_config", None), "config", None) or {}
    required, changed = [], []
    for parameter in _init_arguments(cls):
        if parameter.name in config:
            continue
        if parameter.default is inspect.Parameter.empty:
            required.append(parameter.name)
        elif parameter.name in given and given[parameter.name] != parameter.default:
            changed.append(f"{parameter.name} (given {given[parameter.name]!r}, so the loaded "
                           f"layer would use the default {parameter.default!r})")  # fmt: skip
    parts = []
    if required:
        names = ", ".join(f"`{n}`" for n in required)
        parts.append(
            f"get_config() leaves out {names}, so load_model fails: __init__() missing "
            f"{len(required)} required argument(s)"
        )
    if changed:
        parts.append("get_config() leaves out " + "; ".join(changed))
    return "; ".join(parts)


def _config_fix(cls: type, arguments: list[inspect.Parameter]) -> str:
    items = "".join(f'"{p.name}": self.{p.name}, ' for p in arguments).rstrip(", ")
    return (
        f"class {cls.__name__}(...):\n    def get_config(self):\n"
        f"        return {{**super().get_config(), {items}}}"
    )


def _not_json(config: Any, path: str = "config") -> str:
    """The first value of the config that JSON (so a .keras file) cannot hold, described."""
    from keras.saving import serialize_keras_object

    try:
        json.dumps(serialize_keras_object(config), allow_nan=True)
    except (TypeError, ValueError):
        pass
    else:
        return ""
    if isinstance(config, dict):
        for key, value in config.items():
            inner = _not_json(value, f"{path}[{key!r}]")
            if inner:
                return inner
    return f"{path} = {type(config).__module__}.{type(config).__qualname__}"


def _from_config_round_trip(
    layer: Any, cls: Any, config: dict[str, Any], where: str
) -> list[Finding]:
    try:
        again = cls.from_config(config).get_config()
    except Exception as err:
        return [Finding(
            NAME, FAIL, f"{where}: from_config(get_config()) raises {type(err).__name__}: "
            f"{_first_line(err)}", _config_fix(cls, _init_arguments(cls)),
        )]  # fmt: skip
    if _comparable(again) != _comparable(config):
        keys = sorted(k for k in set(config) | set(again) if config.get(k) != again.get(k))
        return [Finding(
            NAME, FAIL,
            f"{where}: get_config() after from_config differs in {', '.join(keys)}",
            "make __init__ store every argument as get_config returns it",
        )]  # fmt: skip
    return []


def _comparable(config: dict[str, Any]) -> str:
    config = {k: v for k, v in config.items() if k != "name"}
    return json.dumps(config, sort_keys=True, default=str)


def _unregistered_functions(model: Any) -> list[Finding]:
    """Custom functions in the config (an activation, a loss) that load_model cannot find."""
    import keras

    try:
        config = keras.saving.serialize_keras_object(model)
    except Exception:  # reported by the classes' own checks and the round trip
        return []
    found, seen = [], set()
    for item in _walk(config):
        if item.get("class_name") == "function" and not str(item.get("module", "")).startswith(
            ("keras", "builtins")
        ):
            name = item.get("registered_name") or item.get("config")
            if name in seen or keras.saving.get_registered_object(name) is not None:
                continue
            seen.add(name)
            found.append(Finding(
                NAME, FAIL,
                f"function {name!r} (from {item.get('module')}) is not registered, so "
                "load_model fails with \"Could not locate function\"",
                f'@keras.saving.register_keras_serializable(package="my_project")\ndef {name}(...):\n    ...',
            ))  # fmt: skip
    return found


def _walk(value: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(value, dict):
        found.append(value)
        for inner in value.values():
            found += _walk(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            found += _walk(inner)
    return found


def _round_trip(model: Any, sample: Sample, tolerance: float) -> Finding:
    import keras
    import numpy as np

    with tempfile.TemporaryDirectory(prefix="kerasnb-doctor-") as folder:
        path = Path(folder) / "model.keras"
        try:
            model.save(path)
        except Exception as err:
            return Finding(
                NAME, FAIL, f"model.save fails: {type(err).__name__}: {_first_line(err)}"
            )
        try:
            with warnings.catch_warnings():  # e.g. an optimizer never built: not the user's concern
                warnings.simplefilter("ignore")
                loaded = keras.saving.load_model(path)
        except Exception as err:
            return Finding(
                NAME, FAIL,
                f"model.save works, but load_model fails: {type(err).__name__}: {_first_line(err)}",
                "see the findings above for the class or argument to fix",
            )  # fmt: skip
    ours = _flat(model(sample.x, training=False))  # a call, not predict(): nothing to compile
    theirs = _flat(loaded(sample.x, training=False))
    gap = max(
        (float(np.max(np.abs(a - b))) for a, b in zip(ours, theirs, strict=True)), default=0.0
    )
    if not gap <= tolerance:
        return Finding(
            NAME, FAIL,
            f"the model loaded from .keras gives other outputs (max |Δ| {gap:.3g}): a "
            "constructor argument is missing from get_config, or a weight is made outside build()",
            "return every constructor argument from get_config; create weights in build()",
        )  # fmt: skip
    return Finding(
        NAME, PASS, f"saves to .keras and loads back with the same outputs (max |Δ| {gap:.2g})"
    )


def _flat(outputs: Any) -> list[Any]:
    import keras
    import numpy as np

    return [
        np.asarray(keras.ops.convert_to_numpy(o), dtype="float64")
        for o in keras.tree.flatten(outputs)
    ]


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:300] if text else ""

"""`%load_ext kerasnb` and `%keras_backend` in real kernels, one per starting backend.

The tests of this module run in order on the same kernel: load, inspect,
import Keras, switch twice, then the error paths and unload/reload.
"""

from __future__ import annotations

import re

import pytest

from kernel_session import KernelSession

pytestmark = [pytest.mark.kernel, pytest.mark.backends]

BACKENDS = ("jax", "torch", "tensorflow")
HEAVY = ("keras", "jax", "torch", "tensorflow")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _next(backend: str, step: int = 1) -> str:
    return BACKENDS[(BACKENDS.index(backend) + step) % len(BACKENDS)]


def test_load_ext_imports_no_backend(backend_kernel: KernelSession) -> None:
    backend_kernel.ok("%load_ext kerasnb")
    loaded = backend_kernel.value(f"[m for m in {HEAVY!r} if m in __import__('sys').modules]")
    assert loaded == []


def test_info_before_import_names_the_source(backend_kernel: KernelSession) -> None:
    name = backend_kernel.backend  # type: ignore[attr-defined]
    probe = "" if name == "jax" else " --no-devices"  # the subprocess probe once is enough
    reply = backend_kernel.ok(f"%keras_backend{probe}")
    final = (reply.updates or reply.outputs)[-1]["data"]
    assert set(final) >= {"text/plain", "text/html"}
    text = final["text/plain"]
    assert f"the next `import keras` uses {name} (from KERAS_BACKEND environment variable)" in text
    assert "Keras 3.15.1" in text
    for other in BACKENDS:
        assert other in text
    if name == "jax":
        assert "/device:CPU:0" in text and "cpu:0 (cpu)" in text  # tensorflow, jax devices
        assert "asking…" in reply.outputs[0]["data"]["text/plain"]  # shown before the probe
    assert 'class="kerasnb-backend"' in final["text/html"]
    assert backend_kernel.value("'keras' in __import__('sys').modules") is False


def test_a_notebooks_default_yields_to_keras_backend_in_the_environment(
    backend_kernel: KernelSession,
) -> None:
    name = backend_kernel.backend  # type: ignore[attr-defined]
    other = _next(name)
    text = backend_kernel.ok(f"%keras_backend {other} --default").texts[-1]
    assert text.startswith(
        f"KERAS_BACKEND={name} is set in the environment, so this notebook runs on "
        f"{name} instead of its default, {other}."
    )
    assert backend_kernel.value("__import__('os').environ['KERAS_BACKEND']") == name
    no_name = backend_kernel.run("%keras_backend --default")
    assert (
        no_name.error_line
        == "UsageError: --default goes with a backend, e.g. `%keras_backend jax --default`"
    )


def test_info_after_import_shows_config(backend_kernel: KernelSession) -> None:
    name = backend_kernel.backend  # type: ignore[attr-defined]
    backend_kernel.ok("import keras\nkeras.config.set_dtype_policy('mixed_bfloat16')")
    text = backend_kernel.ok("%keras_backend --no-devices").outputs[-1]["data"]["text/plain"]
    assert f"Keras 3.15.1 on {name}" in text
    assert "floatx: float32" in text
    assert "image data format: channels_last" in text
    assert "dtype policy: mixed_bfloat16" in text
    devices = {"jax": "cpu:0 (cpu)", "torch": "cpu", "tensorflow": "/device:CPU:0"}[name]
    assert devices in text  # the imported backend is asked in-process
    backend_kernel.ok("keras.config.set_dtype_policy('float32')")


def test_switch_in_place_names_stale_objects(backend_kernel: KernelSession) -> None:
    name = backend_kernel.backend  # type: ignore[attr-defined]
    target = _next(name)
    backend_kernel.ok(
        "import kerasnb, numpy as np\n"
        "from keras import layers\n"
        "_kerasnb_before = kerasnb\n"
        "model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])\n"
        "x = keras.ops.ones((2, 3))\n"
        "arr = np.ones(3)\n"
        "models = [model]\n"
    )
    reply = backend_kernel.ok(f"%keras_backend {target}")
    text = reply.outputs[-1]["data"]["text/plain"]
    assert f"Switched Keras from {name} to {target}." in text
    assert "Re-bound to the new backend: keras, layers." in text
    assert "model (Sequential (keras))" in text
    assert "x (" in text and "models (list holding Sequential (keras))" in text
    assert "arr" not in text  # NumPy arrays survive a switch
    assert backend_kernel.value("keras.backend.backend()") == target
    assert backend_kernel.value("__import__('sys').modules['kerasnb'] is _kerasnb_before")


def test_new_backend_trains_after_switch(backend_kernel: KernelSession) -> None:
    name = backend_kernel.backend  # type: ignore[attr-defined]
    target = _next(name)
    backend_kernel.ok(
        "m = keras.Sequential([keras.Input((3,)), layers.Dense(1)])\n"
        "m.compile('sgd', 'mse')\n"
        "h = m.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=1, verbose=0)\n"
    )
    assert (
        backend_kernel.value("type(keras.ops.ones(1)).__module__.split('.')[0]")
        in {
            "jax": ("jaxlib", "jax"),
            "torch": ("torch",),
            "tensorflow": ("tensorflow",),
        }[target]
    )
    alias = {"jax": "jax", "torch": "pytorch", "tensorflow": "tf"}[_next(name, 2)]
    text = backend_kernel.ok(f"%keras_backend {alias}").outputs[-1]["data"]["text/plain"]
    assert f"Switched Keras from {target} to {_next(name, 2)}." in text
    assert backend_kernel.value("keras.backend.backend()") == _next(name, 2)


def test_unknown_name_is_one_line_usage_error(backend_kernel: KernelSession) -> None:
    reply = backend_kernel.run("%keras_backend mxnet")
    assert reply.error_line == (
        "UsageError: unknown backend 'mxnet'; use one of: jax, torch, tensorflow, tf, pytorch"
    )
    assert reply.error is None  # a UsageError shows no traceback


def test_missing_backend_gives_install_command(backend_kernel: KernelSession) -> None:
    name = backend_kernel.backend  # type: ignore[attr-defined]
    other = _next(name, 1)
    # A fake stands in: all three backends are installed here, so one is hidden the
    # way an absent package looks to the import system.
    package = other
    backend_kernel.ok(
        f"import sys\n_saved = sys.modules.pop({package!r}, None)\nsys.modules[{package!r}] = None"
    )
    reply = backend_kernel.run(f"%keras_backend {other}")
    backend_kernel.ok(
        f"sys.modules.pop({package!r})\nif _saved is not None: sys.modules[{package!r}] = _saved"
    )
    assert reply.error_line == (
        f"UsageError: the {other} backend is not installed in this kernel's environment; "
        f"install it with `%pip install {package}` and restart the kernel"
    )


def test_every_magic_has_help_with_usage_and_examples(backend_kernel: KernelSession) -> None:
    magics = backend_kernel.value(
        "sorted({('%' if kind == 'line' else '%%') + name"
        " for cls in __import__('kerasnb.magics').magics.MAGICS"
        " for kind, names in cls.magics.items() for name in names})"
    )
    assert len(magics) >= 7 and "%keras_backend" in magics and "%%keras_export" in magics
    for magic in magics:
        pager = _ANSI.sub("", backend_kernel.ok(f"{magic}?").pager)
        name = magic.lstrip("%")
        assert re.search(rf"\n  %%?{name} \[", pager), f"{magic}: no usage line"
        examples = pager.split("Examples::")[-1]
        assert "Examples::" in pager and f"%{name}" in examples, f"{magic}: no examples"
    pager = _ANSI.sub("", backend_kernel.ok("%keras_backend?").pager)
    assert "%keras_backend [--default] [--no-devices] [name]" in pager


def test_set_backend_works_as_a_plain_function(backend_kernel: KernelSession) -> None:
    before = backend_kernel.value("keras.backend.backend()")
    target = next(b for b in BACKENDS if b != before)
    result = backend_kernel.value(
        "(lambda r: (r.previous, r.current, r.in_place, 'layers' in r.rebound))("
        f"kerasnb.set_backend({target!r}, namespace=globals()))"
    )
    assert result == (before, target, True, True)
    assert backend_kernel.value("(keras.backend.backend(), layers.Dense.__module__)") == (
        target,
        "keras.src.layers.core.dense",
    )


def test_load_ext_of_a_submodule_points_at_the_package(backend_kernel: KernelSession) -> None:
    reply = backend_kernel.run("%load_ext kerasnb.magics")
    assert reply.error_line == (
        "UsageError: kerasnb.magics is part of kerasnb; load it with `%load_ext kerasnb`"
    )


def test_unload_and_reload(backend_kernel: KernelSession) -> None:
    backend_kernel.ok("%reload_ext kerasnb")
    backend_kernel.ok("%keras_backend --no-devices")
    backend_kernel.ok("%unload_ext kerasnb")
    assert "not found" in backend_kernel.run("%keras_backend").error_line
    backend_kernel.ok("%load_ext kerasnb")
    backend_kernel.ok("%keras_backend --no-devices")

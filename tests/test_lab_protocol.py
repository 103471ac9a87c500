"""The kernel's half of the JupyterLab protocol: messages as data, then a real kernel's comm.

The frontend's half is tested by jest (labextension/src/__tests__); the
messages both sides must agree on are checked here against the kernel's code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kerasnb.lab import protocol, status
from kernel_session import KernelSession
from lab_client import LabComm

# --- messages as data ------------------------------------------------------


def test_requests_are_parsed_into_plain_data() -> None:
    assert protocol.parse_request({"version": 1, "type": "subscribe", "models": True}) == (
        protocol.Request(type="subscribe", models=True)
    )
    switch = protocol.parse_request(
        {"version": 1, "type": "switch", "request_id": "r1", "backend": "torch"}
    )
    assert switch == protocol.Request(type="switch", request_id="r1", backend="torch")
    listing = protocol.parse_request({"version": 1, "type": "list_models", "request_id": "r2"})
    assert listing == protocol.Request(type="list_models", request_id="r2")


@pytest.mark.parametrize(
    ("data", "message", "reply_to"),
    [
        ([], "a kerasnb message is a JSON object, not list", None),
        (
            {"version": 2, "type": "list_models", "request_id": "r"},
            "the JupyterLab extension speaks kerasnb protocol 2, this kernel's kerasnb speaks 1",
            "r",
        ),
        ({"type": "subscribe"}, "speaks kerasnb protocol None", None),
        (
            {"version": 1, "type": "run_code", "request_id": "r"},
            "unknown kerasnb request 'run_code'; protocol 1 has subscribe, switch, list_models",
            "r",
        ),
        ({"version": 1, "type": "switch", "backend": "jax"}, "needs a string request_id", None),
        ({"version": 1, "type": "switch", "request_id": "r"}, "names its backend", "r"),
        ({"version": 1, "type": "subscribe", "models": "yes"}, "true or false", None),
    ],
)
def test_bad_requests_say_what_the_kernel_speaks(
    data: Any, message: str, reply_to: str | None
) -> None:
    with pytest.raises(protocol.ProtocolError, match=message.replace("(", r"\(")) as caught:
        protocol.parse_request(data)
    assert caught.value.reply_to == reply_to


def test_every_message_carries_the_version_and_its_type() -> None:
    messages = [
        protocol.hello_message(),
        protocol.status_message({"backend": "jax"}),
        protocol.models_message([{"name": "m"}], "r1"),
        protocol.switched_message({"current": "jax"}, "r2"),
        protocol.error_message("no", None),
    ]
    assert [(m["version"], m["type"]) for m in messages] == [
        (1, "hello"),
        (1, "status"),
        (1, "models"),
        (1, "switched"),
        (1, "error"),
    ]
    assert messages[2] == {
        "version": 1,
        "type": "models",
        "models": [{"name": "m"}],
        "reply_to": "r1",
    }


@pytest.mark.parametrize(
    ("devices", "label"),
    [
        (("cpu:0 (cpu)",), "cpu"),  # JAX
        (("gpu:0 (NVIDIA H200)", "gpu:1 (NVIDIA H200)"), "gpu ×2"),
        (("cpu", "cuda:0 (NVIDIA H200)"), "cuda"),  # torch
        (("cpu", "mps"), "mps"),
        (("/device:CPU:0",), "cpu"),  # TensorFlow
        (("/device:CPU:0", "/device:GPU:0"), "gpu"),
        ((), None),
    ],
)
def test_the_device_is_the_kind_keras_computes_on(
    devices: tuple[str, ...], label: str | None
) -> None:
    assert status.device_label(devices) == label


# --- a real kernel's comm --------------------------------------------------

# The messages the page's jest tests parse; a real kernel's must have their shapes.
PAGE_FIXTURE = Path(__file__).parents[1] / "labextension/src/__tests__/messages.json"


def _same_shape(real: Any, example: Any, where: str = "") -> list[str]:
    """Where `real` differs from `example` in keys or in JSON types (null fits any)."""
    if real is None or example is None:
        return []
    if isinstance(example, dict):
        if not isinstance(real, dict) or set(real) != set(example):
            return [f"{where}: keys {sorted(real) if isinstance(real, dict) else real}"]
        return [
            d for key in example for d in _same_shape(real[key], example[key], f"{where}.{key}")
        ]
    if isinstance(example, list):
        if not isinstance(real, list):
            return [f"{where}: {real!r} is no list"]
        return [
            d
            for i, item in enumerate(real)
            if example
            for d in _same_shape(item, example[0], f"{where}[{i}]")
        ]
    return (
        [] if type(real) is type(example) else [f"{where}: {real!r} is no {type(example).__name__}"]
    )


MODELS = """\
import keras
mlp = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(1)], name="mlp")
mlp.layers[0].trainable = False
head = keras.layers.Dense(3, name="head")
half = keras.layers.Dense(2, dtype="mixed_float16")
_hidden = keras.layers.Dense(1)
"""


def _kinds(kernel: KernelSession, code: str) -> list[dict[str, Any]]:
    """Every IOPub message of one cell, in order."""
    msg_id = kernel.client.execute(code, allow_stdin=False)
    found = []
    while True:
        msg = kernel.client.get_iopub_msg(timeout=120)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        found.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return found


def _hooks(kernel: KernelSession) -> int:
    return int(kernel.value("len(get_ipython().events.callbacks['post_run_cell'])"))


@pytest.fixture(scope="module")
def kernel() -> Iterator[KernelSession]:
    with KernelSession(env={"KERAS_BACKEND": "jax"}) as session:
        yield session


@pytest.mark.kernel
def test_without_kerasnb_the_kernel_closes_a_pages_comm(kernel: KernelSession) -> None:
    page = LabComm(kernel)
    with pytest.raises(EOFError):
        page.next_message()
    assert kernel.value("'kerasnb' in __import__('sys').modules") is False


@pytest.mark.kernel
def test_load_ext_announces_itself_with_a_comm_it_closes_at_once(kernel: KernelSession) -> None:
    hooks = _hooks(kernel)
    messages = _kinds(kernel, "%load_ext kerasnb")
    opened = [m for m in messages if m["msg_type"] == "comm_open"]
    assert [m["content"]["target_name"] for m in opened] == ["kerasnb"]
    assert opened[0]["content"]["data"] == {"version": 1, "type": "hello"}
    closed = [m["content"]["comm_id"] for m in messages if m["msg_type"] == "comm_close"]
    assert closed == [opened[0]["content"]["comm_id"]]
    assert _hooks(kernel) == hooks  # no page yet: nothing runs after each cell


@pytest.mark.kernel
def test_a_page_gets_the_status_then_the_models_without_importing_keras(
    kernel: KernelSession,
) -> None:
    page = LabComm(kernel, models=True)
    first = page.next_message()
    assert first["type"] == "status"
    assert first["status"]["backend"] == "jax"
    assert first["status"]["keras_imported"] is False
    assert first["status"]["device"] is None
    assert first["status"]["source"] == "KERAS_BACKEND environment variable"
    assert [(b["name"], b["label"]) for b in first["status"]["backends"]] == [
        ("jax", "JAX"),
        ("torch", "PyTorch"),
        ("tensorflow", "TensorFlow"),
    ]
    assert page.next_message() == {"version": 1, "type": "models", "models": [], "reply_to": None}
    reply = page.run("x = 1")
    assert reply.outputs == [] and reply.stdout == ""
    assert kernel.value("'keras' in __import__('sys').modules") is False
    page.close()


@pytest.mark.kernel
def test_cells_push_the_status_and_the_changed_models_only(kernel: KernelSession) -> None:
    hooks = _hooks(kernel)
    page = LabComm(kernel, models=True)
    page.wait_for("models")
    assert _hooks(kernel) == hooks + 1
    page.run("import keras")
    pushed = page.next_message()
    assert pushed["type"] == "status"
    # JAX has not started its backend yet; asking its devices would start it.
    assert (pushed["status"]["keras_imported"], pushed["status"]["device"]) == (True, None)
    reply = page.run(MODELS)
    assert reply.outputs == []  # pushes are comm messages, not outputs
    pushed = page.next_message()  # building a model started JAX: now the device is known
    assert (pushed["type"], pushed["status"]["device"]) == ("status", "cpu")
    models = page.next_message()
    assert models["type"] == "models"
    rows = {row["name"]: row for row in models["models"]}
    assert list(rows) == ["mlp", "head", "half"]  # namespace order; no _private names
    assert rows["mlp"] == {
        "name": "mlp",
        "class_name": "Sequential",
        "kind": "model",
        "keras_name": "mlp",
        "built": True,
        "params": 4 * 8 + 8 + 8 + 1,
        "trainable_params": 8 + 1,  # the first Dense is frozen
        "backend": "jax",
        "dtype_policy": "float32",
        "stale": False,
    }
    assert (rows["head"]["kind"], rows["head"]["built"], rows["head"]["params"]) == (
        "layer",
        False,
        None,
    )
    assert rows["half"]["dtype_policy"] == "mixed_float16"

    page.run("y = 2")  # nothing Keras changed: no message
    page.run("head.build((None, 5))")
    changed = page.next_message()
    assert changed["type"] == "models"
    assert {r["name"]: r["params"] for r in changed["models"]}["head"] == 5 * 3 + 3

    page.request({"type": "subscribe", "models": False})
    page.run("del head")
    page.request({"type": "list_models", "request_id": "after"})
    answer = page.next_message()  # no push came before the answer
    assert answer["reply_to"] == "after"
    assert [r["name"] for r in answer["models"]] == ["mlp", "half"]
    page.close()
    kernel.ok("pass")  # the close is handled before the next cell
    assert _hooks(kernel) == hooks


@pytest.mark.kernel
def test_switch_answers_with_the_result_then_pushes_status_and_stale_models(
    kernel: KernelSession,
) -> None:
    page = LabComm(kernel, models=True)
    page.wait_for("models")
    page.request({"type": "switch", "request_id": "s1", "backend": "pytorch"})
    switched = page.next_message()
    assert switched["type"] == "switched" and switched["reply_to"] == "s1"
    result = switched["result"]
    assert (result["previous"], result["current"], result["in_place"]) == ("jax", "torch", True)
    assert ["mlp", "Sequential (keras)"] in result["stale"]
    pushed = page.next_message()
    assert (pushed["type"], pushed["status"]["backend"]) == ("status", "torch")
    models = page.next_message()
    assert {r["name"]: (r["backend"], r["stale"]) for r in models["models"]}["mlp"] == (
        "jax",
        True,
    )
    page.run("fresh = keras.layers.Dense(1)")
    rows = {r["name"]: r for r in page.wait_for("models")["models"]}
    assert (rows["fresh"]["backend"], rows["fresh"]["stale"]) == ("torch", False)
    seen = {message["type"]: message for message in page.messages}

    page.request({"type": "switch", "request_id": "s2", "backend": "mxnet"})
    error = page.next_message()
    assert error["type"] == "error" and error["reply_to"] == "s2"
    assert error["message"].startswith("unknown backend 'mxnet'; use one of: jax, torch")
    assert kernel.value("keras.backend.backend()") == "torch"
    page.close()

    # The page's jest tests read messages of exactly these shapes.
    seen["error"] = error
    examples = json.loads(PAGE_FIXTURE.read_text())
    for kind in ("status", "models", "switched", "error"):
        assert _same_shape(seen[kind], examples[kind], kind) == []
    assert examples["hello"] == protocol.hello_message()


@pytest.mark.kernel
def test_the_magic_and_the_function_move_the_status_too(kernel: KernelSession) -> None:
    page = LabComm(kernel)
    page.wait_for("status")
    page.run("%keras_backend jax")
    assert page.next_message()["status"]["backend"] == "jax"
    page.run("import kerasnb; kerasnb.set_backend('torch', get_ipython().user_ns)")
    assert page.next_message()["status"]["backend"] == "torch"
    page.run("%keras_backend tensorflow\non_tf = keras.layers.Dense(1)")
    assert page.next_message()["status"]["backend"] == "tensorflow"
    page.request({"type": "list_models", "request_id": "tf"})
    rows = {r["name"]: r for r in page.wait_for("models")["models"]}
    assert (rows["on_tf"]["backend"], rows["on_tf"]["stale"]) == ("tensorflow", False)
    assert (rows["fresh"]["backend"], rows["fresh"]["stale"]) == ("torch", True)
    page.close()


@pytest.mark.kernel
def test_a_bad_message_gets_an_error_and_the_comm_stays_open(kernel: KernelSession) -> None:
    page = LabComm(kernel)
    page.wait_for("status")
    page.request({"version": 7, "type": "list_models", "request_id": "v7"})
    error = page.next_message()
    assert (error["type"], error["reply_to"]) == ("error", "v7")
    assert "speaks kerasnb protocol 7, this kernel's kerasnb speaks 1" in error["message"]
    page.request({"type": "list_models", "request_id": "ok"})
    assert page.next_message()["reply_to"] == "ok"
    page.close()


@pytest.mark.kernel
def test_the_status_leaves_tensorflow_configurable() -> None:
    """Asking TensorFlow's devices must not start its runtime: the user may still set it up."""
    with KernelSession(env={"KERAS_BACKEND": "tensorflow"}) as tf_kernel:
        tf_kernel.ok("%load_ext kerasnb")
        page = LabComm(tf_kernel)
        page.wait_for("status")
        page.run("import keras")
        status = page.next_message()["status"]
        assert (status["backend"], status["device"]) == ("tensorflow", "cpu")
        page.run(
            "import tensorflow as tf\n"
            "tf.config.threading.set_inter_op_parallelism_threads(1)\n"
            "tf.config.threading.set_intra_op_parallelism_threads(1)"
        )  # raises once TensorFlow's runtime started


@pytest.mark.kernel
def test_unload_closes_every_page_and_leaves_no_hook_load_announces_again(
    kernel: KernelSession,
) -> None:
    hooks = _hooks(kernel)
    pages = [LabComm(kernel), LabComm(kernel, models=True)]
    for page in pages:
        page.wait_for("status")
    assert _hooks(kernel) == hooks + 1  # one hook, however many pages
    messages = _kinds(kernel, "%unload_ext kerasnb")
    closed = {m["content"]["comm_id"] for m in messages if m["msg_type"] == "comm_close"}
    assert closed == {page.comm_id for page in pages}
    assert _hooks(kernel) == hooks
    again = LabComm(kernel)  # the target is gone with the extension
    with pytest.raises(EOFError):
        again.next_message()
    # Loading again announces itself again, and a page's comm gets its status.
    opened = [m for m in _kinds(kernel, "%load_ext kerasnb") if m["msg_type"] == "comm_open"]
    assert [m["content"]["data"]["type"] for m in opened] == ["hello"]
    assert LabComm(kernel).next_message()["type"] == "status"

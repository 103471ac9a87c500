"""Keras model -> ModelData: the only place the model views touch Keras objects.

It reads what Keras itself reads for `model.summary()` and `plot_model`
(operations, inbound nodes, weights) and Keras' own counting and size helpers,
so the figures match Keras exactly; views then work from plain data only.
This module is re-imported after a backend switch, so it keeps no state.
"""

from __future__ import annotations

import math
import re
from typing import Any

import keras
from keras.src.models.functional import Functional
from keras.src.ops.function import make_node_key
from keras.src.utils import summary_utils

from kerasnb.errors import KerasnbError
from kerasnb.model_views import layer_config
from kerasnb.model_views.modeldata import (
    INPUT,
    LAYER,
    MODEL,
    OP,
    EdgeData,
    LayerData,
    ModelData,
    Totals,
    WeightData,
)
from kerasnb.model_views.shapes import format_inputs, format_outputs

MAX_WEIGHTS = 64  # per layer in the details panel; a nested ResNet has hundreds


def introspect(model: Any, details: bool = False, caller: str = "kerasnb") -> ModelData:
    """Describe a built Keras model as plain data.

    Args:
        model: a built `keras.Model`: Sequential, Functional or subclassed.
        details: also collect each layer's config and weight list, which the
            graph's click-to-inspect panel shows and the summary does not need.
        caller: the public function's name, used in error messages.

    Raises:
        KerasnbError: `model` is no Keras model, is not built, or was made
            before an in-place backend switch.
    """
    check_model(model, caller)
    layers: list[LayerData] = []
    edges: list[EdgeData] = []
    with layer_config.tensorflow_left_unimported():
        _walk(model, None, 0, "n", details, layers, edges)
    return ModelData(
        name=model.name,
        class_name=type(model).__name__,
        model_kind=model_kind(model),
        backend=keras.backend.backend(),
        keras_version=keras.version(),
        sequential_like=_sequential_like(model),
        totals=_totals(model),
        layers=tuple(layers),
        edges=tuple(edges),
        details=details,
    )


def check_model(obj: Any, caller: str = "kerasnb") -> None:
    """Raise a one-line, fixable error for anything we cannot show."""
    if isinstance(obj, keras.Model):
        if not obj.built or _sublayers_unbuilt(obj):
            raise KerasnbError(
                f"model {obj.name!r} is not built yet, so it has no shapes or weights to "
                "show; build it first: call it on a batch of data, call "
                "model.build(input_shape), or begin a Sequential with keras.Input(shape=...)"
            )
        return
    if isinstance(obj, keras.Layer):
        raise KerasnbError(
            f"{caller} shows a model, not a single {type(obj).__name__} layer; "
            f"wrap it first, e.g. {caller}(keras.Sequential([layer]))"
        )
    old = _old_backend(obj)
    if old is not None:
        raise KerasnbError(
            f"{type(obj).__name__} {getattr(obj, 'name', '')!r} was made on the {old} backend "
            f"before the switch to {keras.backend.backend()}; re-run the cell that creates it"
        )
    raise KerasnbError(
        f"{caller} needs a Keras model (keras.Model, keras.Sequential or a subclass); "
        f"got {type(obj).__name__}"
    )


def model_kind(model: Any) -> str:
    if isinstance(model, keras.Sequential):
        return "sequential"
    if isinstance(model, Functional):
        return "functional"
    return "subclassed"


def _sublayers_unbuilt(model: Any) -> bool:
    """True for a subclassed model whose default build() built none of its layers."""
    layers = model.layers
    return bool(layers) and not any(getattr(layer, "built", True) for layer in layers)


def _old_backend(obj: Any) -> str | None:
    """The backend a Keras object from before an in-place switch was made on."""
    stale = False
    for cls in type(obj).__mro__:
        module = cls.__module__ or ""
        if module.startswith("keras.") and cls.__name__ in ("Layer", "Operation"):
            stale = True
        found = re.match(r"keras\.src\.backend\.(\w+)\.", module)
        if stale and found:
            return found.group(1)
    return "an earlier" if stale else None


# --- walking the model -------------------------------------------------------


def _items(model: Any) -> list[Any]:
    """What Keras lists for a model: its operations (Functional) or layers."""
    if isinstance(model, Functional):
        return list(model._operations)
    return list(model.layers)


def _walk(
    model: Any,
    parent: str | None,
    depth: int,
    prefix: str,
    details: bool,
    layers: list[LayerData],
    edges: list[EdgeData],
) -> None:
    """Append the rows of `model` (children after their nested model) and its edges."""
    items = _items(model)
    ids = {id(op): f"{prefix}{i}" for i, op in enumerate(items)}
    functional = isinstance(model, Functional)
    for op in items:
        layer_id = ids[id(op)]
        layers.append(
            _layer_data(op, layer_id, parent, depth, details, model if functional else None)
        )
        if isinstance(op, keras.Model):
            _walk(op, layer_id, depth + 1, f"{layer_id}_", details, layers, edges)
    edges.extend(_edges(model, items, ids, parent))


def _edges(model: Any, items: list[Any], ids: dict[int, str], parent: str | None) -> list[EdgeData]:
    if isinstance(model, keras.Sequential):
        return [
            EdgeData(ids[id(a)], ids[id(b)], parent=parent)
            for a, b in zip(items, items[1:], strict=False)
        ]
    if not isinstance(model, Functional):
        return []  # a subclassed model's wiring lives in Python code, not in nodes
    edges = []
    for op in items:
        for k, node in enumerate(op._inbound_nodes):
            if make_node_key(op, k) not in model._nodes:
                continue  # the layer is shared with another model
            for input_index, tensor in enumerate(node.input_tensors):
                history = tensor._keras_history
                source = ids.get(id(history.operation))
                if source is not None:
                    edges.append(
                        EdgeData(source, ids[id(op)], history.tensor_index, input_index, parent)
                    )
    return edges


def _layer_data(
    op: Any, layer_id: str, parent: str | None, depth: int, details: bool, container: Any
) -> LayerData:
    is_layer = isinstance(op, keras.Layer)
    built = bool(getattr(op, "built", True))
    nested = isinstance(op, keras.Model)
    kind = (
        MODEL
        if nested
        else INPUT
        if isinstance(op, keras.layers.InputLayer)
        else LAYER
        if is_layer
        else OP
    )
    weights = list(op.weights) if is_layer else []
    policy = getattr(op, "dtype_policy", None)
    nodes = op._inbound_nodes
    fields: dict[str, Any] = {}
    if nested:
        fields.update(_entries_and_exits(op, layer_id))
    if details and weights:
        fields["weights"] = tuple(_weight(w) for w in weights[:MAX_WEIGHTS])
        fields["more_weights"] = max(0, len(weights) - MAX_WEIGHTS)
    if details and is_layer and not nested:
        fields["config"] = layer_config.config_json(op)
    return LayerData(
        id=layer_id,
        name=op.name,
        class_name=type(op).__name__,
        kind=kind,
        parent=parent,
        depth=depth,
        built=built,
        output_shape=format_outputs(op),
        input_shape=format_inputs(op),
        output_dtype=_output_dtype(nodes),
        dtype=getattr(op, "dtype", None) if is_layer else None,
        dtype_policy=getattr(policy, "name", None),
        params=op.count_params() if is_layer and built else 0,
        trainable_params=_count(op.trainable_weights) if is_layer else 0,
        non_trainable_params=_count(op.non_trainable_weights) if is_layer else 0,
        trainable=bool(getattr(op, "trainable", False)),
        has_weights=bool(weights),
        activation=_activation(op),
        lora_rank=getattr(op, "lora_rank", None) if getattr(op, "lora_enabled", False) else None,
        quantization=getattr(policy, "quantization_mode", None),
        connected_to=_connections(op, container) if container is not None else (),
        model_kind=model_kind(op) if nested else None,
        **fields,
    )


def _entries_and_exits(model: Any, layer_id: str) -> dict[str, Any]:
    """Which children take the nested model's inputs and make its outputs."""
    items = _items(model)
    if not items:
        return {}
    ids = {id(op): f"{layer_id}_{i}" for i, op in enumerate(items)}
    if isinstance(model, keras.Sequential):
        return {"entries": (ids[id(items[0])],), "exits": ((ids[id(items[-1])], 0),)}
    if not isinstance(model, Functional):
        return {}
    entries = tuple(ids[id(t._keras_history.operation)] for t in keras.tree.flatten(model.inputs))
    exits = tuple(
        (ids[id(t._keras_history.operation)], int(t._keras_history.tensor_index))
        for t in keras.tree.flatten(model.outputs)
    )
    return {"entries": entries, "exits": exits}


def _connections(op: Any, container: Any) -> tuple[str, ...]:
    """Keras' "Connected to" column: `layer[node][tensor]` for each input."""
    found = []
    for k, node in enumerate(op._inbound_nodes):
        if make_node_key(op, k) not in container._nodes:
            continue
        for tensor in node.input_tensors:
            history = tensor._keras_history
            found.append(f"{history.operation.name}[{history.node_index}][{history.tensor_index}]")
    return tuple(found)


def _count(weights: list[Any]) -> int:
    return int(sum(math.prod(w.shape) for w in weights))


def _weight(w: Any) -> WeightData:
    return WeightData(
        path=str(getattr(w, "path", w.name)),
        shape=tuple(int(d) for d in w.shape),
        dtype=str(w.dtype),
        trainable=bool(w.trainable),
    )


def _output_dtype(nodes: list[Any]) -> str | None:
    if not nodes:
        return None
    outputs = nodes[-1].output_tensors
    flat = outputs if isinstance(outputs, list) else keras.tree.flatten(outputs)
    dtypes = [str(t.dtype) for t in flat]
    return ", ".join(dict.fromkeys(dtypes)) or None


def _activation(op: Any) -> str | None:
    """The activation's name, read the way plot_model reads it."""
    activation = getattr(op, "activation", None)
    if activation is None:
        return None
    name = getattr(activation, "name", None) or getattr(activation, "__name__", None)
    return str(name or activation)


# --- what Keras prints around the table --------------------------------------


def _totals(model: Any) -> Totals:
    """The totals exactly as `print_summary` computes them."""
    trainable = getattr(model, "_collected_trainable_weights", None)
    if trainable is None:
        trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    trainable_bytes = summary_utils.weight_memory_size(trainable)
    non_trainable_bytes = summary_utils.weight_memory_size(non_trainable)
    optimizer = getattr(model, "optimizer", None)
    fields: dict[str, Any] = {}
    optimizer_bytes = 0.0
    if model.compiled and optimizer is not None and optimizer.built:
        optimizer_bytes = summary_utils.weight_memory_size(optimizer.variables)
        fields["optimizer"] = summary_utils.count_params(optimizer.variables)
        fields["optimizer_size"] = summary_utils.readable_memory_size(optimizer_bytes)
    size = summary_utils.readable_memory_size
    return Totals(
        trainable=summary_utils.count_params(trainable),
        non_trainable=summary_utils.count_params(non_trainable),
        trainable_size=size(trainable_bytes),
        non_trainable_size=size(non_trainable_bytes),
        total_size=size(trainable_bytes + non_trainable_bytes + optimizer_bytes),
        **fields,
    )


def _sequential_like(model: Any) -> bool:
    """Whether Keras' summary leaves out the "Connected to" column."""
    if not isinstance(model, Functional):
        return True
    nodes: list[Any] = []
    for level in model._nodes_by_depth.values():
        if len(level) > 1 or (
            len(level) == 1 and len(keras.tree.flatten(level[0].input_tensors)) > 1
        ):
            return False
        nodes += level
    # A layer called more than once in the model (shared) makes it a graph too.
    return all(sum(node in nodes for node in layer._inbound_nodes) <= 1 for layer in model.layers)

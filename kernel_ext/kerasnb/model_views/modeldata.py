"""Plain data describing a Keras model: what introspection hands to the views.

Nothing here imports Keras, so views and saved notebooks can use it without a
backend, and it survives an in-place backend switch. Everything turns into
JSON through `to_dict` and back through `ModelData.from_dict`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# Layer kinds: what a row or a graph node stands for.
INPUT, LAYER, MODEL, OP = "input", "layer", "model", "op"


@dataclass(frozen=True)
class WeightData:
    """One variable of a layer, as its details panel lists it."""

    path: str
    shape: tuple[int, ...]
    dtype: str
    trainable: bool


@dataclass(frozen=True)
class LayerData:
    """One row of the summary and one node of the graph.

    `id` is unique in the model and safe in HTML ids and DOT names; `name`
    is the user's layer name and is never trusted as markup. Nested models
    are rows with `kind == "model"` whose children name them as `parent`.
    """

    id: str
    name: str
    class_name: str
    kind: str
    parent: str | None = None
    depth: int = 0
    built: bool = True
    output_shape: str = "?"
    input_shape: str = "?"
    output_dtype: str | None = None
    dtype: str | None = None
    dtype_policy: str | None = None
    params: int = 0
    trainable_params: int = 0
    non_trainable_params: int = 0
    trainable: bool = True
    has_weights: bool = False
    activation: str | None = None
    lora_rank: int | None = None
    quantization: str | None = None
    connected_to: tuple[str, ...] = ()
    model_kind: str | None = None  # for nested models: sequential, functional, subclassed
    entries: tuple[str, ...] = ()  # nested models: child id receiving input i
    exits: tuple[tuple[str, int], ...] = ()  # nested models: (child id, tensor index) of output j
    weights: tuple[WeightData, ...] = ()
    more_weights: int = 0  # weights left out of `weights` to keep the data small
    config: str | None = None  # JSON text of get_config(), sanitized; None when not asked


@dataclass(frozen=True)
class EdgeData:
    """A tensor flowing between two items of the same (sub)model.

    `tensor_index` says which output of `source`, `input_index` which input of
    `target`; both matter only when an end is a nested model that the graph
    draws expanded, to find the layer inside it.
    """

    source: str
    target: str
    tensor_index: int = 0
    input_index: int = 0
    parent: str | None = None


@dataclass(frozen=True)
class Totals:
    """The parameter counts and sizes Keras prints under its summary."""

    trainable: int
    non_trainable: int
    trainable_size: str
    non_trainable_size: str
    total_size: str
    optimizer: int | None = None
    optimizer_size: str | None = None

    @property
    def total(self) -> int:
        return self.trainable + self.non_trainable + (self.optimizer or 0)


@dataclass(frozen=True)
class ModelData:
    """A whole model, top-level layers first, each followed by its children."""

    name: str
    class_name: str
    model_kind: str  # sequential, functional or subclassed
    backend: str
    keras_version: str
    sequential_like: bool
    totals: Totals
    layers: tuple[LayerData, ...]
    edges: tuple[EdgeData, ...] = ()
    details: bool = False  # whether layers carry configs and weights

    def __post_init__(self) -> None:
        # A lookup table, not a field: it stays out of to_dict and equality.
        object.__setattr__(self, "_by_id", {layer.id: layer for layer in self.layers})
        children: dict[str | None, list[LayerData]] = {}
        for layer in self.layers:
            children.setdefault(layer.parent, []).append(layer)
        object.__setattr__(self, "_children", children)

    def layer(self, layer_id: str) -> LayerData:
        return self._by_id[layer_id]  # type: ignore[attr-defined]

    def children(self, parent: str | None) -> list[LayerData]:
        return list(self._children.get(parent, ()))  # type: ignore[attr-defined]

    def nested_ids(self) -> list[str]:
        """Ids of the nested models, at any depth, in model order."""
        return [layer.id for layer in self.layers if layer.kind == MODEL]

    def to_dict(self) -> dict[str, Any]:
        """Plain dicts and lists (tuples become lists), ready for JSON."""
        totals = asdict(self.totals)
        totals["total"] = self.totals.total
        data = {name: getattr(self, name) for name in _MODEL_FIELDS}
        data["totals"] = totals
        data["layers"] = [_layer_dict(layer) for layer in self.layers]
        data["edges"] = [dict(vars(edge)) for edge in self.edges]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelData:
        """Rebuild from `to_dict` output (or its JSON), e.g. for a saved view."""
        fields = {k: v for k, v in data.items() if k not in ("layers", "edges", "totals")}
        totals = {k: v for k, v in data["totals"].items() if k != "total"}
        return cls(
            **fields,
            totals=Totals(**totals),
            layers=tuple(_layer_from_dict(layer) for layer in data["layers"]),
            edges=tuple(EdgeData(**edge) for edge in data.get("edges", ())),
        )


_MODEL_FIELDS = (
    "name",
    "class_name",
    "model_kind",
    "backend",
    "keras_version",
    "sequential_like",
    "details",
)


def _layer_dict(layer: LayerData) -> dict[str, Any]:
    # vars() instead of asdict(): asdict deep-copies every value, which costs
    # as much as introspection itself on a DenseNet.
    data = dict(vars(layer))
    data["connected_to"] = list(layer.connected_to)
    data["entries"] = list(layer.entries)
    data["exits"] = [list(pair) for pair in layer.exits]
    data["weights"] = [
        {"path": w.path, "shape": list(w.shape), "dtype": w.dtype, "trainable": w.trainable}
        for w in layer.weights
    ]
    return data


def _layer_from_dict(data: dict[str, Any]) -> LayerData:
    fields = dict(data)
    fields["connected_to"] = tuple(fields.get("connected_to", ()))
    fields["entries"] = tuple(fields.get("entries", ()))
    fields["exits"] = tuple((str(i), int(t)) for i, t in fields.get("exits", ()))
    fields["weights"] = tuple(
        WeightData(w["path"], tuple(w["shape"]), w["dtype"], w["trainable"])
        for w in fields.get("weights", ())
    )
    return LayerData(**fields)

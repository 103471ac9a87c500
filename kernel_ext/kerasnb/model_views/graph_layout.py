"""ModelData -> a Graphviz graph, laid out by Graphviz's `dot` into SVG.

The `graphviz` package writes the DOT source and runs `dot`; we never lay
anything out ourselves. Options mirror `keras.utils.plot_model`. Unlike
plot_model we keep dot's default spline routing: `splines="ortho"` costs most
of plot_model's time on big models and draws no more information.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

import graphviz

from kerasnb.errors import KerasnbError
from kerasnb.model_views.modeldata import INPUT, MODEL, LayerData, ModelData
from kerasnb.shared.html import esc

RANKDIRS = ("TB", "LR", "BT", "RL")
NODE_ID_PREFIX = "kn-"  # SVG ids: kn-<layer id>; the live view finds layers by them
INSTALL_DOT = (
    "Graphviz's `dot` program is not installed, and kerasnb lays graphs out with it; "
    "install it with `apt-get install graphviz`, `conda install graphviz` or "
    "`brew install graphviz`, then run the cell again"
)
_HEADER_COLORS = {INPUT: "#e8eef7", MODEL: "#fdf0d5", "layer": "#eef3ea", "op": "#f2f2f2"}


@dataclass(frozen=True)
class GraphOptions:
    """What each node shows; the names and meanings of `plot_model`'s options."""

    show_shapes: bool = False
    show_dtype: bool = False
    show_layer_names: bool = True
    show_layer_activations: bool = False
    show_trainable: bool = False
    rankdir: str = "TB"
    expand_nested: bool = False

    def __post_init__(self) -> None:
        if self.rankdir not in RANKDIRS:
            raise KerasnbError(
                f"rankdir must be one of {', '.join(RANKDIRS)} (TB: top to bottom, "
                f"LR: left to right); got {self.rankdir!r}"
            )


def to_digraph(
    data: ModelData, options: GraphOptions, expanded: Collection[str] | None = None
) -> graphviz.Digraph:
    """The DOT graph of `data`, nested models in `expanded` drawn as clusters.

    Args:
        data: the model.
        options: what nodes show.
        expanded: ids of nested models to draw open; None means all when
            `options.expand_nested`, else none.
    """
    if expanded is None:
        expanded = data.nested_ids() if options.expand_nested else ()
    open_ids = _open_models(data, set(expanded))
    dot = graphviz.Digraph(name=NODE_ID_PREFIX + "graph")
    dot.attr("graph", rankdir=options.rankdir, nodesep="0.25", ranksep="0.35", compound="true")
    dot.attr("node", shape="plaintext", margin="0", fontname="Helvetica", fontsize="11")
    dot.attr("edge", color="#555555", arrowsize="0.7")
    _add_items(dot, data, None, options, open_ids)
    for a, b, attrs in _visible_edges(data, open_ids):
        dot.edge(a, b, **attrs)
    if data.model_kind == "subclassed":
        dot.attr("graph", label="subclassed model: layers in creation order; call() wires them")
        _chain_invisibly(dot, [layer.id for layer in data.children(None)])
    return dot


def render_svg(dot: graphviz.Digraph) -> str:
    """Run `dot` and return the SVG text.

    Raises:
        KerasnbError: `dot` is not installed; the message says how to install it.
    """
    try:
        return dot.pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound:
        raise KerasnbError(INSTALL_DOT) from None


def _open_models(data: ModelData, expanded: set[str]) -> set[str]:
    """Nested models drawn open: expanded themselves and inside open parents."""
    open_ids: set[str] = set()
    for layer in data.layers:  # parents come before their children
        if (
            layer.id in expanded
            and (layer.parent is None or layer.parent in open_ids)
            and data.children(layer.id)
        ):
            open_ids.add(layer.id)
    return open_ids


def _add_items(
    dot: graphviz.Digraph,
    data: ModelData,
    parent: str | None,
    options: GraphOptions,
    open_ids: set[str],
) -> None:
    for layer in data.children(parent):
        if layer.id not in open_ids:
            dot.node(
                layer.id,
                label=f"<{node_label(layer, options)}>",
                id=NODE_ID_PREFIX + layer.id,
                **{"class": f"kn-layer kn-{layer.kind}"},
            )
            continue
        with dot.subgraph(name=f"cluster_{layer.id}") as cluster:
            cluster.attr(
                label=f"<<b>{esc(layer.name)}</b> ({esc(layer.class_name)})>",
                id=NODE_ID_PREFIX + layer.id,
                style="dashed,rounded",
                color="#b08020",
                fontname="Helvetica",
                fontsize="11",
                labeljust="l",
                **{"class": "kn-cluster"},
            )
            _add_items(cluster, data, layer.id, options, open_ids)
            if layer.model_kind == "subclassed":
                _chain_invisibly(cluster, [child.id for child in data.children(layer.id)])


def node_label(layer: LayerData, options: GraphOptions) -> str:
    """A Graphviz HTML-like label; every value from the model is escaped."""
    title = (
        f"<b>{esc(layer.name)}</b> ({esc(layer.class_name)})"
        if options.show_layer_names
        else f"<b>{esc(layer.class_name)}</b>"
    )
    if layer.kind == MODEL:
        title += " [+]"  # drawn closed; the live view opens it on request
    cells = _detail_cells(layer, options)
    span = max(1, len(cells))
    rows = [_row(title, span, _HEADER_COLORS.get(layer.kind))]
    if options.show_layer_activations and layer.activation:
        rows.append(_row(f"activation: <b>{esc(layer.activation)}</b>", span))
    badges = _badges(layer)
    if badges:
        rows.append(_row(esc(" · ".join(badges)), span, "#fff4c2"))
    if cells:
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    return (
        '<table border="0" cellborder="1" cellspacing="0" cellpadding="4" '
        f'color="#888888">{"".join(rows)}</table>'
    )


def _row(content: str, span: int, color: str | None = None) -> str:
    bg = f' bgcolor="{color}"' if color else ""
    return f'<tr><td colspan="{span}"{bg}>{content}</td></tr>'


def _badges(layer: LayerData) -> list[str]:
    badges = []
    if layer.lora_rank:
        badges.append(f"LoRA rank {layer.lora_rank}")
    if layer.quantization:
        badges.append(f"quantized {layer.quantization}")
    return badges


def _detail_cells(layer: LayerData, options: GraphOptions) -> list[str]:
    cells = []
    if options.show_shapes:
        if layer.kind != INPUT:
            cells.append(f"in: {esc(layer.input_shape)}")
        cells.append(f"out: {esc(layer.output_shape)}")
    if options.show_dtype:
        cells.append(f"dtype: {esc(layer.output_dtype or '?')}")
    if options.show_trainable and layer.has_weights:
        cells.append("trainable" if layer.trainable else "non-trainable")
    return cells


def _visible_edges(data: ModelData, open_ids: set[str]) -> list[tuple[str, str, dict[str, str]]]:
    """Edges between drawn nodes: ends inside open models resolved to their layers."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for edge in data.edges:
        if edge.parent is not None and edge.parent not in open_ids:
            continue
        source, tail = _resolve(data, open_ids, edge.source, edge.tensor_index, exits=True)
        target, head = _resolve(data, open_ids, edge.target, edge.input_index, exits=False)
        attrs = {}
        if tail:
            attrs["ltail"] = f"cluster_{tail}"
        if head:
            attrs["lhead"] = f"cluster_{head}"
        seen.setdefault((source, target), attrs)
    return [(a, b, attrs) for (a, b), attrs in seen.items()]


def _resolve(
    data: ModelData, open_ids: set[str], layer_id: str, index: int, exits: bool
) -> tuple[str, str | None]:
    """The drawn node an edge ends at, looking into open nested models.

    Returns the node and, where the wiring inside an open model is unknown
    (a subclassed model), that model's id so the edge stops at its cluster.
    """
    layer = data.layer(layer_id)
    while layer.id in open_ids:
        if exits and layer.exits:
            layer_id, index = layer.exits[min(index, len(layer.exits) - 1)]
        elif not exits and layer.entries:
            layer_id, index = layer.entries[min(index, len(layer.entries) - 1)], 0
        else:
            children = data.children(layer.id)
            end = children[-1] if exits else children[0]
            return _resolve(data, open_ids, end.id, 0, exits)[0], layer.id
        layer = data.layer(layer_id)
    return layer.id, None


def _chain_invisibly(dot: graphviz.Digraph, ids: Iterable[str]) -> None:
    ordered = list(ids)
    for a, b in zip(ordered, ordered[1:], strict=False):
        dot.edge(a, b, style="invis")

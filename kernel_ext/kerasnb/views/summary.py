"""The model summary: a live table widget plus its static text and HTML twins.

The widget draws in the browser from ModelData (nested models fold, a filter
box narrows rows); the twins carry the same rows for GitHub, nbviewer and
nbval, which cannot run widgets. The numbers are Keras' own; this module only
lays them out.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from kerasnb.errors import not_an_extension
from kerasnb.model_views.modeldata import MODEL, LayerData, ModelData, Totals
from kerasnb.views import assets
from kerasnb.views.html import esc, text_table

load_ipython_extension = not_an_extension(__name__)

HERE = Path(__file__).parent
_STYLE = (
    "<style>.kerasnb-summary table{border-collapse:collapse;margin:.4em 0;font-size:12px}"
    ".kerasnb-summary td,.kerasnb-summary th{padding:2px 10px;text-align:left;"
    "border-bottom:1px solid #ddd}.kerasnb-summary td.num{text-align:right}</style>"
)


def header(data: ModelData) -> list[str]:
    columns = ["Layer (type)", "Output Shape", "Param #", "Trainable #", "Non-trainable #"]
    columns.append("Dtype policy")
    if not data.sequential_like:
        columns.append("Connected to")
    return columns


def notes(layer: LayerData) -> list[str]:
    """What sets a layer apart from a plain float layer: LoRA, quantized, frozen."""
    found = []
    if layer.lora_rank:
        found.append(f"LoRA rank {layer.lora_rank}")
    if layer.quantization:
        found.append(f"quantized {layer.quantization}")
    if layer.has_weights and not layer.trainable:
        found.append("frozen")
    return found


def row(layer: LayerData, data: ModelData) -> list[str]:
    prefix = "   " * layer.depth + "└ " if layer.depth else ""
    label = f"{prefix}{layer.name} ({layer.class_name})"
    extra = notes(layer)
    if extra:
        label += f" [{', '.join(extra)}]"
    params = f"{layer.params:,}" + ("" if layer.built else " (unbuilt)")
    cells = [
        label,
        layer.output_shape,
        params,
        f"{layer.trainable_params:,}",
        f"{layer.non_trainable_params:,}",
        layer.dtype_policy or "-",
    ]
    if not data.sequential_like:
        cells.append(", ".join(layer.connected_to) or "-")
    return cells


def opened_models(data: ModelData) -> list[str]:
    return [layer.id for layer in data.layers if layer.kind == MODEL]


def visible_rows(
    data: ModelData, filter_text: str = "", opened: Collection[str] = ()
) -> list[LayerData]:
    """Rows to show: those whose enclosing models are all `opened`; with a
    filter, the layers whose name holds it, at any depth, with their models."""
    needle = filter_text.strip().lower()
    if not needle:
        shown: set[str | None] = {None}
        rows = []
        for layer in data.layers:  # parents come before their children
            if layer.parent in shown:
                rows.append(layer)
                if layer.id in opened:
                    shown.add(layer.id)
        return rows
    keep: set[str] = set()
    for layer in data.layers:
        if needle in layer.name.lower():
            node: LayerData | None = layer
            while node is not None and node.id not in keep:
                keep.add(node.id)
                node = data.layer(node.parent) if node.parent else None
    return [layer for layer in data.layers if layer.id in keep]


def totals_lines(totals: Totals) -> list[str]:
    """The lines under Keras' table, word for word."""
    lines = [
        f"Total params: {totals.total:,} ({totals.total_size})",
        f"Trainable params: {totals.trainable:,} ({totals.trainable_size})",
        f"Non-trainable params: {totals.non_trainable:,} ({totals.non_trainable_size})",
    ]
    if totals.optimizer is not None:
        lines.append(f"Optimizer params: {totals.optimizer:,} ({totals.optimizer_size})")
    return lines


def title(data: ModelData) -> str:
    return f'Model: "{data.name}" ({data.class_name})'


def render_summary(
    data: ModelData, filter_text: str = "", opened: Collection[str] = ()
) -> dict[str, str]:
    """text/plain and text/html for the summary; neither holds layer configs.

    Args:
        data: the model.
        filter_text: show only layers whose name contains it (any case).
        opened: ids of nested models whose layers are listed under them.
    """
    rows = visible_rows(data, filter_text, set(opened))
    cells = [row(layer, data) for layer in rows]
    lines = [title(data)]
    if filter_text.strip():
        lines.append(f"layers whose name contains {filter_text.strip()!r}")
    plain = [*lines, text_table(header(data), cells), *totals_lines(data.totals)]
    return {"text/plain": "\n".join(plain), "text/html": _html(data, lines, rows, cells)}


def _html(data: ModelData, lines: list[str], rows: list[LayerData], cells: list[list[str]]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header(data))
    body = "".join(
        f'<tr data-layer="{esc(layer.id)}" data-depth="{layer.depth}">'
        + "".join(
            f'<td class="num">{esc(c)}</td>' if 2 <= i <= 4 else f"<td>{esc(c)}</td>"
            for i, c in enumerate(row_cells)
        )
        + "</tr>"
        for layer, row_cells in zip(rows, cells, strict=True)
    )
    top = "".join(f"<div><b>{esc(line)}</b></div>" for line in lines[:1])
    top += "".join(f"<div>{esc(line)}</div>" for line in lines[1:])
    foot = "".join(f"<div>{esc(line)}</div>" for line in totals_lines(data.totals))
    return (
        f'<div class="kerasnb-summary" data-model="{esc(data.name)}">{_STYLE}{top}'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{foot}</div>"
    )


class SummaryWidget(anywidget.AnyWidget):
    """The live summary: the browser draws `data`; fold state and filter sync back."""

    _esm = assets.esm("summary.js")
    _css = HERE / "summary.css"
    # ModelData as JSON text: ipywidgets walks a Dict trait for binary
    # buffers, which on a DenseNet costs more than encoding it once.
    data = traitlets.Unicode("{}").tag(sync=True)
    filter = traitlets.Unicode("").tag(sync=True)
    expanded = traitlets.List(traitlets.Unicode()).tag(sync=True)

    def __init__(self, model_data: ModelData, filter_text: str = "", expand_nested: bool = False):
        opened = opened_models(model_data) if expand_nested else []
        super().__init__(data=json.dumps(model_data.to_dict()), filter=filter_text, expanded=opened)
        self._model_data = model_data

    @property
    def model_data(self) -> ModelData:
        return self._model_data

    def __repr__(self) -> str:
        return f"<kerasnb summary of {self._model_data.name!r}>"

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        data.update(render_summary(self._model_data, self.filter, self.expanded))
        return data, metadata

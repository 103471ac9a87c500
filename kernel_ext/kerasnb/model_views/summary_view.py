"""The model summary: a live table widget plus its static text and HTML twins.

Every rule of the table (which rows show, how a row reads, what marks a
layer) lives here, once: the kernel computes the visible rows and the
browser (`summary.js`) only draws them. Folding a nested model or typing in
the filter box changes a trait, and the kernel sends the new rows back, as
the graph widget does for its layout. The static twins carry the same rows
for GitHub, nbviewer and nbval, which cannot run widgets. The numbers are
Keras' own; this module only lays them out.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from kerasnb.model_views.modeldata import LayerData, ModelData, Totals
from kerasnb.shared import assets
from kerasnb.shared.html import esc, text_table

HERE = Path(__file__).parent
_STYLE = (
    "<style>.kerasnb-summary table{border-collapse:collapse;margin:.4em 0;font-size:12px}"
    ".kerasnb-summary td,.kerasnb-summary th{padding:2px 10px;text-align:left;"
    "border-bottom:1px solid #ddd}.kerasnb-summary td.num{text-align:right}</style>"
)
_NUMBER_COLUMNS = (1, 2, 3)  # of `SummaryRow.cells`: params, trainable, non-trainable


@dataclass(frozen=True)
class SummaryRow:
    """One visible row, as both the widget and the static twins show it."""

    layer_id: str
    depth: int
    kind: str
    name: str
    class_name: str
    notes: tuple[tuple[str, str], ...]  # (kind, text): lora, quantized, frozen
    cells: tuple[str, ...]  # output shape, params, trainable, non-trainable, policy[, connected]
    match: bool = False  # the filter found this layer (not only its enclosing model)

    @property
    def label(self) -> str:
        """The first column in plain text, as Keras' summary prints it, plus the notes."""
        prefix = "   " * self.depth + "└ " if self.depth else ""
        label = f"{prefix}{self.name} ({self.class_name})"
        if self.notes:
            label += f" [{', '.join(text for _, text in self.notes)}]"
        return label

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.layer_id,
            "depth": self.depth,
            "kind": self.kind,
            "name": self.name,
            "class_name": self.class_name,
            "notes": [list(note) for note in self.notes],
            "cells": list(self.cells),
            "match": self.match,
        }


def header(data: ModelData) -> list[str]:
    columns = ["Layer (type)", "Output Shape", "Param #", "Trainable #", "Non-trainable #"]
    columns.append("Dtype policy")
    if not data.sequential_like:
        columns.append("Connected to")
    return columns


def notes(layer: LayerData) -> tuple[tuple[str, str], ...]:
    """What sets a layer apart from a plain float layer: LoRA, quantized, frozen."""
    found = []
    if layer.lora_rank:
        found.append(("lora", f"LoRA rank {layer.lora_rank}"))
    if layer.quantization:
        found.append(("quant", f"quantized {layer.quantization}"))
    if layer.has_weights and not layer.trainable:
        found.append(("frozen", "frozen"))
    return tuple(found)


def row(layer: LayerData, data: ModelData, match: bool = False) -> SummaryRow:
    cells = [
        layer.output_shape,
        f"{layer.params:,}" + ("" if layer.built else " (unbuilt)"),
        f"{layer.trainable_params:,}",
        f"{layer.non_trainable_params:,}",
        layer.dtype_policy or "-",
    ]
    if not data.sequential_like:
        cells.append(", ".join(layer.connected_to) or "-")
    return SummaryRow(
        layer.id, layer.depth, layer.kind, layer.name, layer.class_name, notes(layer),
        tuple(cells), match,
    )  # fmt: skip


def visible_rows(
    data: ModelData, filter_text: str = "", opened: Collection[str] = ()
) -> list[SummaryRow]:
    """Rows to show: those whose enclosing models are all `opened`; with a
    filter, the layers whose name holds it, at any depth, with their models."""
    needle = filter_text.strip().lower()
    if not needle:
        shown: set[str | None] = {None}
        rows = []
        for layer in data.layers:  # parents come before their children
            if layer.parent in shown:
                rows.append(row(layer, data))
                if layer.id in opened:
                    shown.add(layer.id)
        return rows
    keep: set[str] = set()
    matches = {layer.id for layer in data.layers if needle in layer.name.lower()}
    for layer_id in matches:
        node: LayerData | None = data.layer(layer_id)
        while node is not None and node.id not in keep:
            keep.add(node.id)
            node = data.layer(node.parent) if node.parent else None
    return [row(layer, data, layer.id in matches) for layer in data.layers if layer.id in keep]


def count_text(data: ModelData, rows: list[SummaryRow], filter_text: str) -> str:
    if filter_text.strip():
        found = sum(r.match for r in rows)
        return f"{found} of {len(data.layers)} layers match"
    return f"{len(data.layers)} layers"


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
    lines = [title(data)]
    if filter_text.strip():
        lines.append(f"layers whose name contains {filter_text.strip()!r}")
    cells = [[r.label, *r.cells] for r in rows]
    plain = [*lines, text_table(header(data), cells), *totals_lines(data.totals)]
    return {"text/plain": "\n".join(plain), "text/html": _html(data, lines, rows)}


def _html(data: ModelData, lines: list[str], rows: list[SummaryRow]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header(data))
    body = "".join(
        f'<tr data-layer="{esc(r.layer_id)}" data-depth="{r.depth}"><td>{esc(r.label)}</td>'
        + "".join(
            f'<td class="num">{esc(c)}</td>' if i in _NUMBER_COLUMNS else f"<td>{esc(c)}</td>"
            for i, c in enumerate(r.cells)
        )
        + "</tr>"
        for r in rows
    )
    top = "".join(f"<div><b>{esc(line)}</b></div>" for line in lines[:1])
    top += "".join(f"<div>{esc(line)}</div>" for line in lines[1:])
    foot = "".join(f"<div>{esc(line)}</div>" for line in totals_lines(data.totals))
    return (
        f'<div class="kerasnb-summary" data-model="{esc(data.name)}">{_STYLE}{top}'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{foot}</div>"
    )


class SummaryWidget(anywidget.AnyWidget):
    """The live summary: the kernel sends the visible rows; fold state and filter sync back."""

    _esm = assets.esm(HERE / "summary.js")
    _css = HERE / "summary.css"
    heading = traitlets.Dict().tag(sync=True)  # name, class_name, backend, keras_version
    header = traitlets.List(traitlets.Unicode()).tag(sync=True)
    rows: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)  # SummaryRow.to_dict()s
    count = traitlets.Unicode("").tag(sync=True)
    totals = traitlets.List(traitlets.Unicode()).tag(sync=True)
    nested = traitlets.Bool(False).tag(sync=True)  # whether any row can fold open
    filter = traitlets.Unicode("").tag(sync=True)
    expanded = traitlets.List(traitlets.Unicode()).tag(sync=True)

    def __init__(self, model_data: ModelData, filter_text: str = "", expand_nested: bool = False):
        self._model_data = model_data
        opened = model_data.nested_ids() if expand_nested else []
        super().__init__(
            heading={
                "name": model_data.name,
                "class_name": model_data.class_name,
                "backend": model_data.backend,
                "keras_version": model_data.keras_version,
            },
            header=header(model_data),
            totals=totals_lines(model_data.totals),
            nested=bool(model_data.nested_ids()),
            filter=filter_text,
            expanded=opened,
        )
        self._draw_rows()
        self.observe(self._draw_rows, names=["filter", "expanded"])

    @property
    def model_data(self) -> ModelData:
        return self._model_data

    def _draw_rows(self, change: Any = None) -> None:
        rows = visible_rows(self._model_data, self.filter, set(self.expanded))
        self.rows = [r.to_dict() for r in rows]
        self.count = count_text(self._model_data, rows, self.filter)

    def __repr__(self) -> str:
        return f"<kerasnb summary of {self._model_data.name!r}>"

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        data.update(render_summary(self._model_data, self.filter, self.expanded))
        return data, metadata

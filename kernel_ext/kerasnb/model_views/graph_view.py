"""The model graph: an SVG laid out by Graphviz, live in a pan-and-zoom widget.

The widget shows the SVG `dot` made, opens a layer's details on click and
asks the kernel for a new layout when a nested model is opened or closed. The
same SVG goes into the output as image/svg+xml, so a saved notebook shows the
graph anywhere; it holds labels only, never layer configs.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from kerasnb.errors import KerasnbError
from kerasnb.model_views import graph_layout
from kerasnb.model_views.graph_layout import GraphOptions
from kerasnb.model_views.modeldata import ModelData
from kerasnb.shared import assets

HERE = Path(__file__).parent


def layout_svg(data: ModelData, options: GraphOptions, expanded: Collection[str] | None) -> str:
    return graph_layout.render_svg(graph_layout.to_digraph(data, options, expanded))


def describe(data: ModelData, expanded: Collection[str] = ()) -> str:
    """The stable text/plain twin: what the graph holds, in one line."""
    nested = data.nested_ids()
    text = (
        f'Graph of model "{data.name}" ({data.class_name}): {len(data.layers)} layers, '
        f"{len(data.edges)} connections"
    )
    if nested:
        noun = "nested model" if len(nested) == 1 else "nested models"
        text += f", {len(nested)} {noun} ({len(set(expanded) & set(nested))} open)"
    return text + "; laid out by Graphviz dot"


class GraphWidget(anywidget.AnyWidget):
    """Live graph: `svg` from the kernel, `expanded` and `selected` from the browser."""

    _esm = assets.esm(HERE / "graph.js")
    _css = HERE / "graph.css"
    # ModelData as JSON text: ipywidgets walks a Dict trait for binary
    # buffers, which on a DenseNet costs more than encoding it once.
    data = traitlets.Unicode("{}").tag(sync=True)
    svg = traitlets.Unicode("").tag(sync=True)
    options = traitlets.Dict().tag(sync=True)
    expanded = traitlets.List(traitlets.Unicode()).tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, model_data: ModelData, options: GraphOptions):
        opened = model_data.nested_ids() if options.expand_nested else []
        svg = layout_svg(model_data, options, opened)  # fails early if `dot` is missing
        super().__init__(
            data=json.dumps(model_data.to_dict()),
            svg=svg,
            options=_options_dict(options),
            expanded=opened,
        )
        self._model_data = model_data
        self._options = options
        self.observe(self._relayout, names="expanded")

    @property
    def model_data(self) -> ModelData:
        return self._model_data

    def _relayout(self, change: dict[str, Any]) -> None:
        """A nested model was opened or closed in the browser: lay out again."""
        try:
            svg = layout_svg(self._model_data, self._options, change["new"])
        except KerasnbError as err:
            self.error = str(err)
            return
        self.error = ""
        self.svg = svg

    def __repr__(self) -> str:
        return f"<kerasnb graph of {self._model_data.name!r}>"

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        data["text/plain"] = describe(self._model_data, self.expanded)
        data["image/svg+xml"] = self.svg
        return data, metadata


def _options_dict(options: GraphOptions) -> dict[str, Any]:
    return {name: getattr(options, name) for name in options.__dataclass_fields__}

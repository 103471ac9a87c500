"""`kerasnb.summary` and `kerasnb.graph`: a Keras model in, a live view out.

Each is introspection (Keras -> ModelData) followed by a view (ModelData ->
widget with static fallbacks). Keras is imported inside the functions, so this
module holds nothing from Keras and survives an in-place backend switch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kerasnb.model_views.graph_view import GraphWidget
    from kerasnb.model_views.summary_view import SummaryWidget


def summary(model: Any, *, expand_nested: bool = False, filter: str = "") -> SummaryWidget:
    """A live `model.summary()`: the same numbers, nested models that fold open,
    trainable and dtype-policy columns, LoRA and quantized layers marked.

    Args:
        model: a built Keras model (Sequential, Functional or subclassed).
        expand_nested: list the layers of nested models under them.
        filter: show only layers whose name contains this text (any case).

    Returns:
        A widget; its output also carries text/plain and text/html copies of
        the table for viewers without widgets.

    Raises:
        KerasnbError: `model` is no Keras model, is not built, or was made
            before a backend switch.
    """
    from kerasnb.model_views.introspect import introspect
    from kerasnb.model_views.summary_view import SummaryWidget

    data = introspect(model, caller="kerasnb.summary")
    return SummaryWidget(data, filter_text=str(filter), expand_nested=bool(expand_nested))


def graph(
    model: Any,
    *,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    rankdir: str = "TB",
    expand_nested: bool = False,
) -> GraphWidget:
    """A live `keras.utils.plot_model`: an SVG laid out by Graphviz `dot`
    that pans, zooms, shows a layer's config and weights on click and opens
    nested models. The options mean what they mean for plot_model.

    Args:
        model: a built Keras model.
        show_shapes: show input and output shapes in each node.
        show_dtype: show each layer's output dtype.
        show_layer_names: show layer names (else class names only).
        show_layer_activations: show the activation of layers that have one.
        show_trainable: mark layers with weights as trainable or not.
        rankdir: "TB" (top to bottom), "LR", "BT" or "RL".
        expand_nested: draw nested models open.

    Returns:
        A widget; its output also carries the SVG as image/svg+xml.

    Raises:
        KerasnbError: a bad model (as for `summary`), a bad `rankdir`, or
            Graphviz's `dot` missing (the message says how to install it).
    """
    from kerasnb.model_views.graph_layout import GraphOptions
    from kerasnb.model_views.graph_view import GraphWidget
    from kerasnb.model_views.introspect import introspect

    options = GraphOptions(
        show_shapes=bool(show_shapes),
        show_dtype=bool(show_dtype),
        show_layer_names=bool(show_layer_names),
        show_layer_activations=bool(show_layer_activations),
        show_trainable=bool(show_trainable),
        rankdir=str(rankdir).upper(),
        expand_nested=bool(expand_nested),
    )
    data = introspect(model, details=True, caller="kerasnb.graph")
    return GraphWidget(data, options)

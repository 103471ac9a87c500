"""Layer shapes as the text Keras' summary prints, without its colour markup.

Keras' `format_layer_shape` wraps every number in rich markup; the views need
the bare text, so the same rules are followed here: shapes from the layer's
last inbound node, else from the shapes it was built with, else "?".
"""

from __future__ import annotations

from typing import Any

from keras import tree

UNKNOWN = "?"


def format_shape(shape: Any) -> str:
    return f"({', '.join(str(d) for d in shape)})"


def _join(structure: Any) -> str:
    flat = tree.flatten(structure)
    if len(flat) == 1:
        return str(flat[0])
    return str(structure).replace("'", "")


def format_outputs(op: Any) -> str:
    """The "Output Shape" cell of `model.summary()` for one layer or operation."""
    nodes = op._inbound_nodes
    build_shapes = getattr(op, "_build_shapes_dict", None)
    if nodes:
        outputs = nodes[-1].output_tensors
        if isinstance(outputs, list):  # the usual flat list: skip tree's cost
            shapes = [format_shape(t.shape) for t in outputs]
            return shapes[0] if len(shapes) == 1 else f"[{', '.join(shapes)}]"
        return _join(tree.map_structure(lambda t: format_shape(t.shape), outputs))
    if not build_shapes:
        return UNKNOWN
    try:
        if hasattr(op, "output_shape"):
            return _join(format_shape(op.output_shape))
        shapes = op.compute_output_shape(**build_shapes)
        return _join(tree.map_shape_structure(format_shape, shapes))
    except Exception:  # Keras gives up on NotImplementedError; custom layers raise more
        return UNKNOWN


def format_inputs(op: Any) -> str:
    """The input shape(s) of a layer, as `plot_model(show_shapes=True)` shows them."""
    nodes = op._inbound_nodes
    if nodes:
        tensors = nodes[-1].input_tensors
        if not tensors:
            return UNKNOWN
        shapes = [format_shape(t.shape) for t in tensors]
        return shapes[0] if len(shapes) == 1 else f"[{', '.join(shapes)}]"
    build_shapes = getattr(op, "_build_shapes_dict", None) or {}
    if len(build_shapes) == 1:
        (shape,) = build_shapes.values()
        if isinstance(shape, tuple | list) and all(d is None or isinstance(d, int) for d in shape):
            return format_shape(shape)
    return UNKNOWN

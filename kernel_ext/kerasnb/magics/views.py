"""`%keras_summary` and `%keras_plot`: live views of a model in the notebook."""

from __future__ import annotations

from typing import Any

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from kerasnb.magics.usage import lookup, usage_errors
from kerasnb.model_views import api as model_views


@magics_class
class ViewMagics(Magics):
    @magic_arguments()
    @argument("model", help="the model: a variable name or expression, e.g. model or nets[0]")
    @argument(
        "--expand-nested", action="store_true", help="list the layers of nested models under them"
    )
    @argument("--filter", default="", help="show only layers whose name contains this text")
    @line_magic
    def keras_summary(self, line: str) -> None:
        """Show a live summary table of a Keras model (same numbers as model.summary()).

        Examples::

            %keras_summary model
            %keras_summary model --expand-nested
            %keras_summary model --filter conv
        """
        with usage_errors():
            args = parse_argstring(self.keras_summary, line)
            model = self._lookup(args.model)
            display(
                model_views.summary(model, expand_nested=args.expand_nested, filter=args.filter)
            )

    @magic_arguments()
    @argument("model", help="the model: a variable name or expression, e.g. model or nets[0]")
    @argument("--show-shapes", action="store_true", help="show input and output shapes")
    @argument("--show-dtype", action="store_true", help="show each layer's output dtype")
    @argument(
        "--hide-layer-names", action="store_true", help="show class names only, not layer names"
    )
    @argument(
        "--show-layer-activations", action="store_true", help="show activations of layers with one"
    )
    @argument("--show-trainable", action="store_true", help="mark layers trainable or not")
    @argument(
        "--rankdir", default="TB", help="TB (top to bottom, default), LR (left to right), BT or RL"
    )
    @argument("--expand-nested", action="store_true", help="draw nested models open")
    @line_magic
    def keras_plot(self, line: str) -> None:
        """Show a live graph of a Keras model, laid out by Graphviz (like plot_model).

        Examples::

            %keras_plot model
            %keras_plot model --show-shapes --rankdir LR
            %keras_plot model --expand-nested --show-trainable
        """
        with usage_errors():
            args = parse_argstring(self.keras_plot, line)
            model = self._lookup(args.model)
            display(
                model_views.graph(
                    model,
                    show_shapes=args.show_shapes,
                    show_dtype=args.show_dtype,
                    show_layer_names=not args.hide_layer_names,
                    show_layer_activations=args.show_layer_activations,
                    show_trainable=args.show_trainable,
                    rankdir=args.rankdir,
                    expand_nested=args.expand_nested,
                )
            )

    def _lookup(self, expression: str) -> Any:
        return lookup(self.shell, expression)


MAGICS = ViewMagics

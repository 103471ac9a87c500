"""`%keras_live`: stream every later fit, evaluate and predict to a live view."""

from __future__ import annotations

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from kerasnb.errors import KerasnbError
from kerasnb.live import mode as live_mode
from kerasnb.magics.usage import usage_errors

_SWITCH = {"on": True, "off": False}


@magics_class
class TrainingMagics(Magics):
    @magic_arguments()
    @argument(
        "switch",
        nargs="?",
        help="on: every later fit/evaluate/predict (verbose other than 0) shows a LiveMetrics "
        "view instead of Keras' progress bar; off: Keras' own behaviour, exactly. "
        "Omit to show whether it is on.",
    )
    @line_magic
    def keras_live(self, line: str) -> None:
        """Stream every later fit to live curves, without touching the code.

        Examples::

            %keras_live on     # model.fit(...) now shows live curves and a Stop button
            %keras_live        # is it on?
            %keras_live off    # back to Keras' progress bar
        """
        with usage_errors():
            args = parse_argstring(self.keras_live, line)
            if args.switch is None:
                display(live_mode.live_training())
                return
            switch = _SWITCH.get(args.switch.strip().lower())
            if switch is None:
                raise KerasnbError(
                    f"unknown switch {args.switch!r}; use `%keras_live on` or `%keras_live off`"
                )
            display(live_mode.live_training(switch))


MAGICS = TrainingMagics

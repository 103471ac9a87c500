"""`%keras_doctor`: the classic multi-backend Keras pitfalls of a model, each with its fix."""

from __future__ import annotations

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from kerasnb.magics.usage import lookup, usage_errors


@magics_class
class DoctorMagics(Magics):
    @magic_arguments()
    @argument("model", help="the model: a variable name or expression, e.g. model")
    @argument(
        "--sample", default=None, metavar="X",
        help="a batch of inputs to check with (a variable, e.g. x_val[:8], or a tuple (x, y) "
        "of inputs and targets). Default: made from the model's input shapes",
    )  # fmt: skip
    @argument(
        "--backends", default=None,
        help="comma-separated backends for parity and export (aliases: tf, pytorch). "
        "Default: every installed one",
    )  # fmt: skip
    @argument(
        "--only", default=None, metavar="CHECKS",
        help="comma-separated checks to run: serialization, mixed_precision, parity, "
        "trainability, export. Default: all",
    )  # fmt: skip
    @line_magic
    def keras_doctor(self, line: str) -> None:
        """Check a model for the classic multi-backend Keras pitfalls, each with its fix.

        It saves and loads the model, looks at its dtypes and what it trains,
        runs one training step on a copy of its state, and runs it on the
        other backends (parity) and through every serving format (export).
        The model, its weights, optimizer state and the dtype policy are left
        exactly as they were.

        Examples::

            %keras_doctor model
            %keras_doctor model --sample x_val[:8] --only serialization,trainability
            %keras_doctor model --backends jax,torch --only parity
        """
        with usage_errors():
            args = parse_argstring(self.keras_doctor, line)
            model = lookup(self.shell, args.model)
            sample = lookup(self.shell, args.sample, "the sample") if args.sample else None
            from kerasnb.pitfalls.api import doctor  # at first use: keeps %load_ext cheap

            display(doctor(model, sample, backends=args.backends, checks=args.only))


MAGICS = DoctorMagics

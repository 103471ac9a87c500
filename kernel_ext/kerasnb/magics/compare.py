"""`%%keras_compare` and `%%keras_setup`: one cell on every backend, side by side."""

from __future__ import annotations

from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from kerasnb.backend.names import BACKENDS
from kerasnb.errors import KerasnbError
from kerasnb.magics.usage import usage_errors


def _comparison() -> Any:
    """The compare machinery, imported at first use so `%load_ext` stays cheap."""
    from kerasnb.comparison import api as comparison

    return comparison


@magics_class
class CompareMagics(Magics):
    @magic_arguments()
    @argument(
        "-b", "--backends", default=",".join(BACKENDS),
        help="comma-separated backends to run on (aliases: tf, pytorch); the first is "
        f"parity's reference. Default: {','.join(BACKENDS)}",
    )  # fmt: skip
    @argument(
        "-p", "--push", default=None,
        help="comma-separated notebook variables to send first: NumPy arrays and plain "
        "Python data (numbers, strings, lists, tuples, dicts)",
    )  # fmt: skip
    @argument(
        "-t", "--timeout", type=float, default=None,
        help="seconds each backend may take (setup replay and the cell); a backend past "
        "it is interrupted, or killed if that fails. Default: no limit",
    )  # fmt: skip
    @argument(
        "--parity", nargs="?", const="", default=None, metavar="MODEL",
        help="start every backend from the reference's weights and compare predictions "
        "and loss; name the model variable if the cell builds several",
    )  # fmt: skip
    @argument(
        "--parity-data", default=None, metavar="X[,Y]",
        help="inputs (and targets) for --parity. Default: the first two pushed arrays",
    )  # fmt: skip
    @argument(
        "--tolerance", type=float, default=1e-4,
        help="--parity flags a backend when |a - b| > TOLERANCE * (1 + |b|). Default: 1e-4",
    )  # fmt: skip
    @argument(
        "--repeat", type=int, default=0, metavar="N",
        help="run the cell N more times on each backend after the first; the timing "
        "(first epoch, step, samples/s) is the median of those runs, with its spread",
    )  # fmt: skip
    @argument("--no-stream", action="store_true",
              help="do not stream the fits' points while they run (curves come at the end)")  # fmt: skip
    @argument("-o", "--out", default=None, metavar="NAME",
              help="also store the CompareResult in this variable")  # fmt: skip
    @argument(
        "--gateway", default=None, metavar="URL",
        help="start the backend kernels on this Jupyter Kernel Gateway (its token comes from "
        "KERASNB_GATEWAY_TOKEN). Default: --use-gateway's, else KERASNB_GATEWAY_URL, else local",
    )  # fmt: skip
    @argument(
        "--use-gateway", default=None, metavar="URL",
        help="(line form) use this gateway for every later compare of the notebook; 'local' "
        "goes back to kernels on this machine",
    )  # fmt: skip
    @argument("--stop", action="store_true",
              help="(line form) shut the backend kernels down to free their memory")  # fmt: skip
    @line_cell_magic
    def keras_compare(self, line: str, cell: str | None = None) -> None:
        """Run the cell on JAX, PyTorch and TensorFlow at once, side by side.

        Each backend runs in its own warm kernel. While they run, one view
        shows each backend's status, progress, stdout and a Stop button, and
        every backend's training curves overlaid as they grow; at the end, a
        table of status, timing (kernel start, first epoch, steady-state
        step, samples/s; the fastest marked), peak memory, output, errors and
        the last value. `%%keras_setup` cells are replayed there first.

        Examples::

            %%keras_compare
            import keras
            keras.ops.sum(keras.ops.ones((2, 2)))

            %%keras_compare --push x,y --parity --timeout 300
            model = make_model()
            model.fit(x, y, epochs=3, verbose=0)

            %%keras_compare --push x,y --repeat 3     # which backend is faster, beyond noise?
            make_model().fit(x, y, epochs=3, verbose=0)

            %keras_compare --stop      # free the backend kernels' memory
            %keras_compare --use-gateway http://gpu-box:8888   # kernels on a gateway
        """
        with usage_errors():
            args = parse_argstring(self.keras_compare, line)
            if cell is None:
                if args.use_gateway is not None:
                    print(_comparison().use_gateway(args.use_gateway))
                    return
                if not args.stop:
                    raise KerasnbError(
                        "%%keras_compare runs a cell: put it on the first line of a cell "
                        "(or use `%keras_compare --stop` to stop the backend kernels, "
                        "`%keras_compare --use-gateway URL` to run them on a gateway)"
                    )
                _comparison().stop_kernels()
                return
            result = _comparison().compare(
                cell,
                backends=args.backends,
                timeout=args.timeout,
                push=args.push,
                parity=False if args.parity is None else args.parity,
                parity_data=args.parity_data,
                tolerance=args.tolerance,
                namespace=self._namespace,
                show=True,
                repeat=args.repeat,
                stream=not args.no_stream,
                gateway=args.gateway,
            )
            if args.out:
                self._store(args.out, result)

    @property
    def _namespace(self) -> dict[str, Any]:
        assert self.shell is not None, "magics run in an IPython shell"
        return self.shell.user_ns

    def _store(self, name: str, value: Any) -> None:
        if not name.isidentifier():
            raise KerasnbError(f"--out takes a variable name, not {name!r}")
        self._namespace[name] = value

    @magic_arguments()
    @argument("--clear", action="store_true",
              help="forget every setup cell (the notebook's variables stay)")  # fmt: skip
    @line_cell_magic
    def keras_setup(self, line: str, cell: str | None = None) -> None:
        """Run this cell here, and in every backend kernel before each compare.

        Use it for imports, data preparation and model-building functions that
        `%%keras_compare` cells need. Re-running the cell replaces its earlier
        version; a restarted backend kernel replays every setup cell.

        Examples::

            %%keras_setup
            import keras
            def make_model():
                return keras.Sequential([keras.Input((64,)), keras.layers.Dense(10)])

            %keras_setup --clear       # forget all setup cells
        """
        with usage_errors():
            args = parse_argstring(self.keras_setup, line)
            if cell is None:
                if not args.clear:
                    raise KerasnbError(
                        "%%keras_setup runs a cell: put it on the first line of a cell "
                        "(or use `%keras_setup --clear` to forget the setup cells)"
                    )
                _comparison().compare_kernels().clear_setup()
                return
            _comparison().compare_setup(cell)


MAGICS = CompareMagics

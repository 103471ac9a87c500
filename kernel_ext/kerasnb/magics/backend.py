"""`%keras_backend`: show or choose the Keras backend."""

from __future__ import annotations

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from kerasnb.backend import api as backend
from kerasnb.backend.view import render_info
from kerasnb.errors import KerasnbError
from kerasnb.magics.usage import usage_errors


@magics_class
class BackendMagics(Magics):
    @magic_arguments()
    @argument(
        "name",
        nargs="?",
        help="jax, torch or tensorflow (aliases: tf, pytorch). Omit to show the backend, "
        "the installed backends with their versions and devices, and Keras' settings.",
    )
    @argument(
        "--default",
        action="store_true",
        help="NAME is only this notebook's default: when KERAS_BACKEND is set in the "
        "environment (an instructor's or CI's choice), that backend is used instead",
    )
    @argument(
        "--no-devices",
        action="store_true",
        help="do not list devices (skips asking backends that are not imported yet)",
    )
    @line_magic
    def keras_backend(self, line: str) -> None:
        """Show or choose the Keras backend (and, with a gateway, what its kernels offer).

        Examples::

            %keras_backend            # what am I running on?
            %keras_backend jax        # use JAX (switches in place if Keras is imported)
            %keras_backend tf         # aliases: tf, pytorch
            %keras_backend jax --default   # jax, unless KERAS_BACKEND says otherwise
        """
        with usage_errors():
            args = parse_argstring(self.keras_backend, line)
            if args.name is None:
                if args.default:
                    raise KerasnbError(
                        "--default goes with a backend, e.g. `%keras_backend jax --default`"
                    )
                self._show_info(probe_devices=not args.no_devices)
                return
            namespace = self.shell.user_ns if self.shell is not None else None
            display(backend.set_backend(args.name, namespace=namespace, default=args.default))

    def _show_info(self, probe_devices: bool) -> None:
        """Show what is known at once; fill in devices in place when asked."""
        quick = backend.backend_info(probe_devices=False)
        if not probe_devices:
            display(quick)
        else:
            handle = display(render_info(quick, pending=True), raw=True, display_id=True)
            handle.update(backend.backend_info(probe_devices=True))
        self._show_gateway()

    def _show_gateway(self) -> None:
        """With a gateway for the comparison, what its kernels offer each backend."""
        from kerasnb.comparison import gateway

        if gateway.resolve(None) is not None:
            from kerasnb.comparison.api import gateway_info

            display(gateway_info())


MAGICS = BackendMagics

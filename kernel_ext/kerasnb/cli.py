"""The `kerasnb` command: export notebooks to packages, lay out new projects.

    kerasnb export NOTEBOOK.ipynb --to DIR [--check] [--force]
    kerasnb new-project DIR [--package NAME] [--backend NAME]

Exit codes: 0 done (or in sync), 1 `--check` found the package out of sync,
2 a mistake to fix, explained in one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kerasnb.errors import KerasnbError

OUT_OF_SYNC = 1
USAGE_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; return the exit code instead of exiting."""
    parser = _parser()
    args = parser.parse_args(argv)  # argparse itself exits with 2 on bad usage
    try:
        return int(args.run(args))
    except KerasnbError as err:
        parser.exit(USAGE_ERROR, f"kerasnb: error: {err}\n")
    return USAGE_ERROR  # pragma: no cover (parser.exit raised)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kerasnb",
        description="Ship multi-backend Keras notebooks as Python packages.",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    export = commands.add_parser(
        "export",
        help="write the %%%%keras_export cells of notebooks into a package",
        description="Rebuild every module that %%keras_export cells target, in cell order, "
        "as running the notebook top to bottom would.",
    )
    export.add_argument(
        "notebooks",
        nargs="+",
        metavar="NOTEBOOK.ipynb",
        help="notebooks with %%%%keras_export cells",
    )
    export.add_argument("--to", required=True, metavar="DIR", help="the package root")
    export.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the package differs from the notebooks (for CI)",
    )
    export.add_argument(
        "--force",
        action="store_true",
        help="replace files kerasnb did not write or that were edited by hand (backed up first)",
    )
    export.set_defaults(run=_export)

    project = commands.add_parser(
        "new-project",
        help="lay out a Keras project: models/, data/, config/, train.py, export.py, tests/",
    )
    project.add_argument("dir", metavar="DIR", help="a new or empty folder")
    project.add_argument("--package", help="import name (default: from the folder's name)")
    project.add_argument("--backend", help="jax, torch or tensorflow for config/default.yaml")
    project.set_defaults(run=_new_project)
    return parser


def _export(args: argparse.Namespace) -> int:
    from kerasnb.export.notebook import export_notebook

    outcomes = [
        export_notebook(notebook, args.to, check=args.check, force=args.force)
        for notebook in args.notebooks
    ]
    for outcome in outcomes:
        print(outcome)
    return 0 if all(o.in_sync for o in outcomes) else OUT_OF_SYNC


def _new_project(args: argparse.Namespace) -> int:
    from kerasnb.export.project import new_project

    print(new_project(args.dir, package=args.package, backend=args.backend))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The `kerasnb` command: export notebooks to packages, lay out new projects.

    kerasnb export NOTEBOOK.ipynb... --to DIR [--check] [--prune] [--force]
    kerasnb new-project DIR [--package NAME] [--backend NAME]
    kerasnb doctor MODEL.keras [--sample FILE.npy] [--json] [--only CHECKS] [--import MODULE]

NOTEBOOK may also be a folder (searched below) or a quoted glob ("nbs/*.ipynb").
Exit codes: 0 done (or in sync), 1 `--check` found the package out of sync
(or orphans), 2 a mistake to fix, explained in one line on stderr; nothing
is written then.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kerasnb.errors import KerasnbError

OUT_OF_SYNC = 1
FAILED = 1  # kerasnb doctor found a failure
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
        description="Rebuild each notebook's blocks in the modules its %%keras_export cells "
        "target, in cell order, as running it top to bottom would; other notebooks' blocks "
        "stay. All notebooks are planned first: if anything is refused, nothing is written.",
    )
    export.add_argument(
        "notebooks",
        nargs="+",
        metavar="NOTEBOOK.ipynb",
        help="notebooks with %%%%keras_export cells, folders of notebooks, or glob patterns",
    )
    export.add_argument("--to", required=True, metavar="DIR", help="the package root")
    export.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the package differs from the notebooks or holds "
        "orphans (for CI)",
    )
    export.add_argument(
        "--prune",
        action="store_true",
        help="remove blocks (and modules) that no cell exports any more; backed up first",
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

    doctor = commands.add_parser(
        "doctor",
        help="check a saved model for the classic multi-backend Keras pitfalls (exit 1 on a failure)",
        description="Load MODEL.keras (on KERAS_BACKEND's backend) and run kerasnb's doctor: "
        "serialization, mixed precision, parity across backends, trainability, export.",
    )
    doctor.add_argument("model", metavar="MODEL.keras", help="a model saved with model.save")
    doctor.add_argument(
        "--sample", metavar="FILE", help="inputs to check with: a .npy array, or a .npz with "
        "x (and y). Default: made from the model's input shapes",
    )  # fmt: skip
    doctor.add_argument("--only", metavar="CHECKS", help="comma-separated checks to run")
    doctor.add_argument("--backends", help="comma-separated backends for parity and export")
    doctor.add_argument(
        "--import", dest="imports", action="append", default=[], metavar="MODULE",
        help="import MODULE first, so the custom classes it registers can load (repeatable)",
    )  # fmt: skip
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    doctor.set_defaults(run=_doctor)
    return parser


def _export(args: argparse.Namespace) -> int:
    from kerasnb.export.notebook import export_notebooks

    outcome = export_notebooks(
        args.notebooks, args.to, check=args.check, force=args.force, prune=args.prune
    )
    print(outcome)
    return OUT_OF_SYNC if args.check and not outcome.in_sync else 0


def _new_project(args: argparse.Namespace) -> int:
    from kerasnb.export.project import new_project

    print(new_project(args.dir, package=args.package, backend=args.backend))
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from kerasnb.pitfalls.files import load_model, load_sample

    model = load_model(args.model, imports=args.imports)
    sample = load_sample(args.sample) if args.sample else None
    from kerasnb.pitfalls.api import doctor
    from kerasnb.pitfalls.view import render_text

    report = doctor(model, sample, backends=args.backends, checks=args.only)
    print(report.to_json() if args.json else render_text(report))
    return 0 if report.ok else FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

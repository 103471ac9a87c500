"""What `kerasnb export` did or found, one line per module, as plain data.

`ModuleStatus` is a module the notebooks export to; `Leftover` is code in a
generated module that no exported cell provides any more (an orphan): it
stays until `--prune`, and `--check` fails on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAGIC = "%%keras_export"


@dataclass(frozen=True)
class ModuleStatus:
    """One target module after an export or a check."""

    target: str
    state: str  # written, unchanged, in sync, or why it is out of sync
    cells: int
    backup: str | None = None  # where a forced export kept the previous file
    notebooks: int = 1  # how many of the exported notebooks have cells here
    kept: tuple[tuple[str, int], ...] = ()  # other notebooks' blocks left as they are

    def __str__(self) -> str:
        details = [_count(self.cells, "cell")]
        if self.notebooks > 1:
            details[0] += f" from {self.notebooks} notebooks"
        details += [f"{_count(n, 'block')} of {label} kept" for label, n in self.kept]
        if self.backup:
            details.append(f"the previous file is kept as {self.backup}")
        return f"{self.target}: {self.state} ({'; '.join(details)})"

    @property
    def ok(self) -> bool:
        return self.state in ("written", "unchanged", "in sync")


@dataclass(frozen=True)
class Leftover:
    """Blocks of a generated module that no exported cell writes any more."""

    target: str
    orphans: tuple[tuple[str, int], ...]  # (exported notebook, its blocks no cell writes now)
    strays: tuple[tuple[str, int], ...]  # (gone or unnamed notebook, blocks) nobody took over
    whole: bool  # nothing else is left in the module
    pruned: bool = False
    backup: str | None = None

    def __str__(self) -> str:
        if self.whole and not self.strays:
            notebooks = " or ".join(name for name, _ in self.orphans)
            what = f"no cell of {notebooks} exports here any more"
        else:
            what = ", ".join(self._reasons())
            if self.whole:
                what = f"nothing exports here any more ({what})"
        if self.pruned:
            done = "removed" if self.whole else "pruned"
            kept = f"; the previous file is kept as {self.backup}" if self.backup else ""
            return f"{self.target}: {done} ({what}){kept}"
        one = self._count() == 1
        it = "it" if self.whole or one else "them"
        hint = ""
        if self.strays:
            they = "it" if one else "they"
            hint = f" export the notebook {they} came from (a renamed one keeps its blocks), or"
        return f"{self.target}: {what};{hint} `--prune` removes {it}"

    def _reasons(self) -> list[str]:
        reasons = []
        for name, n in self.orphans:
            which = "whose cell no longer exports" if n == 1 else "whose cells no longer export"
            reasons.append(f"{_count(n, 'block')} of {name} {which} here")
        for name, n in self.strays:
            gone = (
                "from an unnamed notebook" if name == "" else f"of {name}, which no longer exists"
            )
            reasons.append(f"{_count(n, 'block')} {gone}")
        return reasons

    def _count(self) -> int:
        return sum(n for _, n in (*self.orphans, *self.strays))


@dataclass(frozen=True)
class PackageExport:
    """The outcome of `export_notebooks`, one line per module when printed."""

    notebooks: tuple[str, ...]
    check: bool
    modules: tuple[ModuleStatus, ...]
    leftovers: tuple[Leftover, ...] = ()
    ids_saved: tuple[str, ...] = ()  # notebooks that got a kerasnb id in their metadata

    @property
    def notebook(self) -> str:
        """The notebook (or notebooks) exported, as messages name them."""
        return ", ".join(self.notebooks)

    @property
    def in_sync(self) -> bool:
        return all(m.ok for m in self.modules) and all(x.pruned for x in self.leftovers)

    def __str__(self) -> str:
        lines = [str(m) for m in self.modules] + [str(x) for x in self.leftovers]
        lines += [
            f"{name}: saved a kerasnb id in its notebook metadata, so its blocks follow it "
            "if it is renamed or moved"
            for name in self.ids_saved
        ]
        if not self.modules and not self.leftovers:
            lines.insert(0, f"{_subject(self.notebooks)} {MAGIC} cells; nothing to export.")
        if self.check and not self.in_sync:
            again = "without --check to export it again"
            if any(not x.pruned for x in self.leftovers):
                again = "with --prune instead of --check to export it again and remove the orphans"
            lines.append(
                f"The package is out of sync with {_names(self.notebooks)}; "
                f"run the same command {again}."
            )
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


NotebookExport = PackageExport  # the name `export_notebook` returned before


def _count(n: int, what: str) -> str:
    return f"1 {what}" if n == 1 else f"{n} {what}s"


def _names(notebooks: Sequence[str]) -> str:
    return notebooks[0] if len(notebooks) == 1 else f"its {len(notebooks)} notebooks"


def _subject(notebooks: Sequence[str]) -> str:
    if len(notebooks) == 1:
        return f"{notebooks[0]} has no"
    return f"None of the {len(notebooks)} notebooks has"

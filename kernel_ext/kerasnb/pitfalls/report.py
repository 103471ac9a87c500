"""What the doctor found, as plain frozen data: one finding per thing it checked.

Shown through `kerasnb.shared.rich` (pitfalls/view.py registers the table);
`to_dict()` is what `kerasnb doctor --json` prints.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from kerasnb.shared import rich

CHECKS = ("serialization", "mixed_precision", "parity", "trainability", "export")
FAIL, WARN, PASS, SKIP = "fail", "warn", "pass", "skip"
STATUSES = (FAIL, WARN, PASS, SKIP)  # also the order a report lists them in


@dataclass(frozen=True)
class Finding:
    """One entry of the report: which check, how it went, what was found, how to fix it."""

    name: str  # the check: one of CHECKS
    status: str  # fail, warn, pass or skip
    message: str  # what was found: the layer, the argument, the dtype, the backend
    fix: str = ""  # what to change, as code where it fits
    backend: str | None = None  # where it was found, when it depends on the backend

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DoctorReport:
    """Every finding of one doctor run; `ok` when nothing failed."""

    model: str
    backend: str
    checks: tuple[Finding, ...]
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not any(f.status == FAIL for f in self.checks)

    def by_status(self, status: str) -> list[Finding]:
        return [f for f in self.checks if f.status == status]

    def ordered(self) -> list[Finding]:
        """Failures first, then warnings, passes and skips; check order within each."""
        return sorted(self.checks, key=lambda f: (STATUSES.index(f.status), CHECKS.index(f.name)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "backend": self.backend,
            "ok": self.ok,
            "elapsed_s": round(self.elapsed_s, 3),
            "checks": [f.to_dict() for f in self.ordered()],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        return rich.bundle(self)

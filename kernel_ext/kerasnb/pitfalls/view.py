"""The doctor's report as a compact table: failures first, passes folded, fixes as code.

HTML (every value escaped) and a plain-text twin in one bundle, so nbval,
GitHub and a terminal read the same findings.
"""

from __future__ import annotations

from collections.abc import Sequence

from kerasnb.pitfalls.report import FAIL, PASS, SKIP, WARN, DoctorReport, Finding
from kerasnb.shared import rich
from kerasnb.shared.html import esc

_MARKS = {FAIL: "✗ fail", WARN: "! warn", PASS: "✓ pass", SKIP: "– skip"}
_STYLE = """<style>
.kerasnb-doctor table{border-collapse:collapse;margin:.3em 0}
.kerasnb-doctor th,.kerasnb-doctor td{padding:2px 8px;text-align:left;vertical-align:top;
 border-bottom:1px solid #8883}
.kerasnb-doctor pre{margin:0;white-space:pre-wrap;font-size:90%}
.kerasnb-doctor .kn-fail{color:#cf222e;font-weight:bold}
.kerasnb-doctor .kn-warn{color:#9a6700;font-weight:bold}
.kerasnb-doctor .kn-pass{color:#1a7f37}
.kerasnb-doctor .kn-skip{opacity:.7}
</style>"""


def headline(report: DoctorReport) -> str:
    counts = [
        f"{len(report.by_status(s))} {word}"
        for s, word in ((FAIL, "failed"), (WARN, "warnings"), (PASS, "passed"), (SKIP, "skipped"))
        if report.by_status(s)
    ]
    verdict = "ok" if report.ok else "problems found"
    return (
        f"keras_doctor — {report.model} on {report.backend}: {verdict} "
        f"({', '.join(counts) or 'nothing checked'}; {report.elapsed_s:.1f} s)"
    )


def render_text(report: DoctorReport) -> str:
    lines = [headline(report)]
    for finding in report.ordered():
        where = f" [{finding.backend}]" if finding.backend else ""
        lines.append(f"{_MARKS[finding.status]}  {finding.name}{where}: {finding.message}")
        if finding.fix and finding.status in (FAIL, WARN):
            lines += [f"      fix: {line}" for line in finding.fix.splitlines()]
    return "\n".join(lines)


def _rows(findings: Sequence[Finding]) -> str:
    return "".join(
        f'<tr data-status="{esc(f.status)}" data-check="{esc(f.name)}">'
        f'<td class="kn-{esc(f.status)}">{esc(_MARKS[f.status])}</td><td>{esc(f.name)}</td>'
        f"<td>{esc(f.backend or '')}</td><td>{esc(f.message)}</td>"
        f"<td>{f'<pre>{esc(f.fix)}</pre>' if f.fix else ''}</td></tr>"
        for f in findings
    )


def render_html(report: DoctorReport) -> str:
    head = "<tr><th></th><th>check</th><th>backend</th><th>found</th><th>fix</th></tr>"
    ordered = report.ordered()
    shown = [f for f in ordered if f.status in (FAIL, WARN)]
    folded = [f for f in ordered if f.status in (PASS, SKIP)]
    table = f"<table><thead>{head}</thead><tbody>{_rows(shown)}</tbody></table>" if shown else ""
    passes = (
        f"<details><summary>{len(folded)} passed or skipped</summary>"
        f"<table><thead>{head}</thead><tbody>{_rows(folded)}</tbody></table></details>"
        if folded
        else ""
    )
    return (
        f'<div class="kerasnb-doctor" data-ok="{str(report.ok).lower()}">{_STYLE}'
        f"<div><b>{esc(headline(report))}</b></div>{table}{passes}</div>"
    )


@rich.bundle.register
def render(report: DoctorReport) -> dict[str, str]:
    """Mime bundle: the HTML table and its plain-text twin."""
    return {"text/plain": render_text(report), "text/html": render_html(report)}

"""A compare, side by side: one column per backend, curves overlaid below.

Static on purpose: an HTML table (every value escaped) with the curves as an
embedded PNG, and a plain-text twin, so a saved notebook shows the whole
comparison on GitHub, in nbviewer and to nbval. While a compare runs, the
same view is re-rendered in place as each backend finishes.
"""

from __future__ import annotations

from collections.abc import Callable

from kerasnb.comparison.curves import COLORS, render_png
from kerasnb.comparison.results import CompareResult, GatewayInfo, ParityResult, RunResult
from kerasnb.shared import png, rich
from kerasnb.shared.html import esc, text_table

_LABELS = {
    "running": "running…",
    "ok": "ok",
    "error": "error",
    "oom": "out of memory",
    "crashed": "crashed",
    "timeout": "timed out",
    "interrupted": "interrupted",
}
_TEXT_LINES = 12  # per block in the plain-text twin
_STYLE = """<style>
.kerasnb-compare .kerasnb-compare-table{border-collapse:collapse;margin:.3em 0;table-layout:fixed}
.kerasnb-compare .kerasnb-compare-table th,.kerasnb-compare .kerasnb-compare-table td{
 border:1px solid #8884;padding:3px 8px;text-align:left;vertical-align:top;max-width:28em;
 overflow:auto}
.kerasnb-compare .kerasnb-compare-table th.kerasnb-row{font-weight:normal;opacity:.75;
 white-space:nowrap}
.kerasnb-compare pre{margin:0;white-space:pre-wrap;text-align:left;font-size:90%;
 max-height:16em;overflow:auto}
.kerasnb-compare .kerasnb-status-ok{color:#1a7f37;font-weight:bold}
.kerasnb-compare .kerasnb-status-running{opacity:.7}
.kerasnb-compare .kerasnb-bad{color:#cf222e;font-weight:bold}
.kerasnb-compare img{max-width:100%}
</style>"""


def status_text(run: RunResult | None) -> str:
    return _LABELS["running"] if run is None else _LABELS.get(run.status, run.status)


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f} s"


def _megabytes(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f} MB"


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.2f} s"


def step_text(result: CompareResult, backend: str) -> str:
    """The median steady-state step, its range under --repeat, and the verdict's mark."""
    run = result.runs.get(backend)
    if run is None or run.timing.step_s is None:
        return ""
    text = duration_text(run.timing.step_s)
    spread = run.timing.spread.get("step_s")
    if spread:
        text += f" ({duration_text(spread.low)}–{duration_text(spread.high)})"
    verdict = result.fastest
    if verdict is not None and len(result.runs) > 1:
        if verdict.backend == backend:
            text += " ★ fastest"
        elif backend in verdict.within_spread:
            text += " ≈ within the spread"
    return text


def _times(ratio: float) -> str:
    """A speed ratio as people write it: 1.3x, 12x, 107x (never 1.1e+02x)."""
    return f"{ratio:.2g}x" if ratio < 100 else f"{ratio:,.0f}x"


def verdict_text(result: CompareResult) -> str:
    """One line: which backend steps fastest, by how much, and whether it is noise."""
    verdict = result.fastest
    timed = {b: r.timing.step_s for b, r in result.runs.items() if r.ok and r.timing.step_s}
    if verdict is None or len(timed) < 2 or verdict.step_s is None:
        return ""
    parts = []
    for backend, step in timed.items():
        if backend == verdict.backend:
            continue
        if backend in verdict.within_spread:
            parts.append(f"{backend} within the measured spread (no real difference)")
        else:
            parts.append(f"{backend} {_times(step / verdict.step_s)} slower")
    line = f"Fastest steady-state step: {verdict.backend} ({duration_text(verdict.step_s)}); "
    line += "; ".join(parts)
    if not verdict.repeated:
        line += " (one run each: --repeat 3 tells a real difference from noise)"
    return line + "."


def _output(run: RunResult) -> str:
    return "\n".join(p for p in (run.stdout.rstrip("\n"), *run.outputs) if p)


def _parity_cell(result: CompareResult, backend: str) -> str:
    found = result.parity
    if found is None:
        return ""
    if backend == found.reference:
        return "reference" + (
            f" (loss {found.reference_loss:.6g})" if found.reference_loss is not None else ""
        )
    diff = found.diffs.get(backend)
    if diff is None:
        return found.error or "not compared"
    if diff.error:
        return f"✗ {diff.error}"
    text = f"max |Δ| {diff.max_abs:.2g}, rel {diff.max_rel:.2g}"
    if diff.loss_abs is not None:
        text += f"; loss |Δ| {diff.loss_abs:.2g}"
    return text + (f" ✗ beyond {found.tolerance:g}" if diff.flagged else " ✓")


def _rows(result: CompareResult) -> list[tuple[str, Callable[[str], str]]]:
    """(row label, backend -> cell text); rows nobody has anything for are left out."""
    runs = result.runs

    def field(getter: Callable[[RunResult], str]) -> Callable[[str], str]:
        return lambda b: getter(runs[b]) if b in runs else ""

    rows: list[tuple[str, Callable[[str], str]]] = [
        ("status", lambda b: status_text(runs.get(b))),
        ("wall time", field(lambda r: _seconds(r.wall_s))),
        ("kernel start", field(lambda r: duration_text(r.timing.startup_s))),
        ("first epoch", field(lambda r: duration_text(r.timing.first_epoch_s))),
        ("step", lambda b: step_text(result, b)),
        (
            "samples/s",
            field(lambda r: f"{r.timing.samples_per_s:,.0f}" if r.timing.samples_per_s else ""),
        ),
        ("peak memory", field(lambda r: _megabytes(r.peak_mb))),
        ("version", field(lambda r: r.version or "")),
        ("value", field(lambda r: r.value or "")),
        ("output", field(_output)),
        ("error", field(lambda r: r.error or "")),
    ]
    if result.parity is not None:
        rows.append((f"parity vs {result.parity.reference}", lambda b: _parity_cell(result, b)))

    def shown(label: str, cell: Callable[[str], str]) -> bool:
        stderr = label == "output" and any(r.stderr for r in runs.values())
        return label == "status" or stderr or any(cell(b) for b in result.backends)

    return [(label, cell) for label, cell in rows if shown(label, cell)]


def headline(result: CompareResult) -> str:
    parts = [f"{b}: {status_text(result.runs.get(b))}" for b in result.backends]
    text = "keras_compare — " + ", ".join(parts)
    if result.done and result.wall_s is not None:
        text += f" ({result.wall_s:.1f} s)"
    return text


def _parity_lines(found: ParityResult | None) -> list[str]:
    if found is None:
        return []
    if found.error:
        return [f"Parity not measured: {found.error}"]
    start = "from the same starting weights, " if found.equalized else ""
    model = f"{found.model!r} " if found.model else ""
    lines = [
        f"Parity: {start}{model}with {found.reference}'s final weights on "
        f"{found.inputs}{', ' + found.targets if found.targets else ''}; tolerance {found.tolerance:g}."
    ]
    if found.flagged:
        lines.append("Beyond tolerance: " + ", ".join(found.flagged) + ".")
    return lines


def _clip(text: str, lines: int = _TEXT_LINES) -> str:
    rows = text.splitlines()
    return "\n".join(
        rows[:lines] + ([f"… ({len(rows) - lines} more lines)"] if len(rows) > lines else [])
    )


def render_text(result: CompareResult) -> str:
    rows = _rows(result)
    one_line = [(label, *(_clip(cell(b), 1) for b in result.backends)) for label, cell in rows]
    parts = [headline(result), "", text_table(("", *result.backends), one_line)]
    if verdict_text(result):
        parts += ["", verdict_text(result)]
    parts += [""] + _parity_lines(result.parity) if result.parity else []
    for backend in result.backends:
        run = result.runs.get(backend)
        if run is not None and not run.ok and (run.traceback or run.error):
            parts += [
                "",
                f"--- {backend}: {status_text(run)} ---",
                _clip(run.traceback or run.error or ""),
            ]
    curves = sorted({c.metric for r in result.runs.values() for c in r.curves})
    if curves:
        parts += ["", "Training curves (overlaid in the chart): " + ", ".join(curves)]
    return "\n".join(parts)


def _html_cell(result: CompareResult, label: str, text: str, backend: str) -> str:
    run = result.runs.get(backend)
    attrs = f'data-backend="{esc(backend)}" data-row="{esc(label)}"'
    if label == "status":
        status = run.status if run else "running"
        css = (
            "kerasnb-status-ok"
            if status == "ok"
            else "kerasnb-status-running"
            if status == "running"
            else "kerasnb-bad"
        )
        return (
            f'<td {attrs} data-status="{esc(status)}"><span class="{css}">{esc(text)}</span></td>'
        )
    if label == "error" and run is not None and run.traceback:
        return (
            f'<td {attrs}><pre class="kerasnb-bad">{esc(text)}</pre><details><summary>traceback'
            f"</summary><pre>{esc(run.traceback)}</pre></details></td>"
        )
    if label.startswith("parity") and "✗" in text:
        return f'<td {attrs}><span class="kerasnb-bad">{esc(text)}</span></td>'
    body = (
        f"<pre>{esc(text)}</pre>" if label in ("value", "output", "error") and text else esc(text)
    )
    if label == "output" and run is not None and run.stderr:
        lines = run.stderr.rstrip("\n").count("\n") + 1
        body += (
            f'<details class="kerasnb-stderr"><summary>stderr ({lines} line{"s" * (lines > 1)})'
            f"</summary><pre>{esc(run.stderr)}</pre></details>"
        )
    return f"<td {attrs}>{body}</td>"


def render_html(result: CompareResult, chart: bool = True) -> str:
    head = "".join(
        f'<th class="kerasnb-compare-backend" data-backend="{esc(b)}" '
        f'style="border-top:3px solid {COLORS.get(b, "#888")}">{esc(b)}</th>'
        for b in result.backends
    )
    body = "".join(
        f'<tr><th class="kerasnb-row">{esc(label)}</th>'
        + "".join(_html_cell(result, label, cell(b), b) for b in result.backends)
        + "</tr>"
        for label, cell in _rows(result)
    )
    lines = [verdict_text(result), *_parity_lines(result.parity)]
    notes = "".join(f"<div>{esc(line)}</div>" for line in lines if line)
    curves = (
        render_png({b: r.curves for b, r in result.runs.items() if r.curves})
        if result.done and chart
        else None
    )
    alt = "training curves of every backend, overlaid"
    image = png.img_tag(curves, alt, "kerasnb-compare-curves") if curves else ""
    return (
        f'<div class="kerasnb-compare" data-done="{str(result.done).lower()}">{_STYLE}'
        f"<div><b>{esc(headline(result))}</b></div>"
        f'<table class="kerasnb-compare-table"><thead><tr><th></th>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>{notes}{image}</div>"
    )


@rich.bundle.register
def render(result: CompareResult) -> dict[str, str]:
    """Mime bundle: HTML (table + embedded PNG of the curves) and plain text."""
    return {"text/plain": render_text(result), "text/html": render_html(result)}


@rich.bundle.register
def render_gateway(info: GatewayInfo) -> dict[str, str]:
    """Which kernelspec each backend's kernel starts in on the gateway."""
    if info.error:
        lines = [f"Gateway {info.url}: {info.error}"]
        rows: list[tuple[str, str, str]] = []
    else:
        lines = [f"Backend kernels run on the gateway at {info.url}"]
        rows = [(b, spec, info.running.get(b, "not started yet")) for b, spec in info.specs.items()]
    header = ("backend", "kernelspec", "warm kernel")
    plain = "\n".join([*lines, "", text_table(header, rows)] if rows else lines)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    table = (
        f"<table><thead><tr>{''.join(f'<th>{esc(h)}</th>' for h in header)}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
        if rows
        else ""
    )
    html = f'<div class="kerasnb-gateway"><div><b>{esc(lines[0])}</b></div>{table}</div>'
    return {"text/plain": plain, "text/html": html}

"""Static rendering of backend facts: HTML plus a plain-text twin."""

from __future__ import annotations

from kerasnb.backend.info import BackendInfo, BackendStatus, SwitchResult
from kerasnb.shared import rich
from kerasnb.shared.html import esc, table, text_table

_STYLE = (
    "<style>.kerasnb-backend table{border-collapse:collapse;margin:.3em 0}"
    ".kerasnb-backend td,.kerasnb-backend th{padding:2px 10px;text-align:left}"
    "</style>"
)


def _headline(info: BackendInfo) -> str:
    keras = f"Keras {info.keras_version}" if info.keras_version else "Keras (not installed)"
    if info.keras_imported:
        return f"{keras} on {info.active}"
    return f"{keras}: the next `import keras` uses {info.active} (from {info.source})"


def _rows(info: BackendInfo, pending: bool) -> list[tuple[str, str, str]]:
    return [
        (s.name + (" ✓" if s.name == info.active else ""), *_cells(s, pending))
        for s in info.backends
    ]


def _cells(status: BackendStatus, pending: bool) -> tuple[str, str]:
    if not status.installed:
        return "not installed", f"install with: {status.install_command}"
    if status.devices is None:
        devices = "asking…" if pending else "not asked"
    else:
        devices = ", ".join(status.devices) or f"unknown ({status.devices_error})"
    return status.version or "?", devices


def _config(info: BackendInfo) -> list[tuple[str, str]]:
    if not info.keras_imported:
        return []
    return [
        ("floatx", info.floatx or ""),
        ("image data format", info.image_data_format or ""),
        ("dtype policy", info.dtype_policy or ""),
    ]


@rich.bundle.register
def _(info: BackendInfo) -> dict[str, str]:
    return render_info(info)


def render_info(info: BackendInfo, pending: bool = False) -> dict[str, str]:
    """Mime bundle for `info`; `pending` marks devices still being asked for."""
    header = ("backend", "version", "devices")
    rows = _rows(info, pending)
    config = _config(info)
    plain = [_headline(info), "", text_table(header, rows)]
    if config:
        plain += ["", *(f"{k}: {v}" for k, v in config)]
    config_html = "".join(f"<div>{esc(k)}: <code>{esc(v)}</code></div>" for k, v in config)
    html_rows = table(header, rows)
    return {
        "text/plain": "\n".join(plain),
        "text/html": (
            f'<div class="kerasnb-backend" data-backend="{esc(info.active)}">{_STYLE}'
            f"<div><b>{esc(_headline(info))}</b></div>{html_rows}{config_html}</div>"
        ),
    }


@rich.bundle.register
def render_switch(result: SwitchResult) -> dict[str, str]:
    if not result.in_place:
        lines = [
            f"Keras will use {result.current} when it is imported (KERAS_BACKEND={result.current})."
        ]
    elif result.previous == result.current:
        lines = [f"Keras already runs on {result.current}."]
    else:
        lines = [f"Switched Keras from {result.previous} to {result.current}."]
    if result.from_environment:
        lines.insert(
            0,
            f"KERAS_BACKEND={result.current} is set in the environment, so this notebook "
            f"runs on {result.current} instead of its default, {result.default}.",
        )
    if result.rebound:
        lines.append("Re-bound to the new backend: " + ", ".join(result.rebound) + ".")
    if result.stale:
        held = ", ".join(f"{name} ({what})" for name, what in result.stale)
        lines.append(
            f"These variables hold {result.previous} objects that will not work on "
            f"{result.current}; re-run the cells that create them: {held}."
        )
    items = "".join(f"<div>{esc(line)}</div>" for line in lines)
    return {
        "text/plain": "\n".join(lines),
        "text/html": (
            f'<div class="kerasnb-backend kerasnb-switch" data-backend="{esc(result.current)}">'
            f"{items}</div>"
        ),
    }

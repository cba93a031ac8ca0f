"""Charts drawn on the server as SVG: no script, no CDN, nothing fetched. A chart is a picture
of a :class:`~kotwal.panels.Panel`'s numbers; the page gives the same numbers as a table, so
the SVG is marked as an image with a one-line description and screen readers read the table.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from kotwal.panels import Panel

#: Series colours (the stylesheet's palette, dark enough for text-size contrast on white).
COLOURS = ("#1f4e79", "#b35900", "#2e7d32", "#7b1fa2", "#ad1457", "#00695c")
WIDTH = 640
LABEL_W = 190
BAR_H = 14
GAP = 8


def _fmt(n: int) -> str:
    return f"{n:,}"


def _legend(columns: Sequence[str], y: int) -> tuple[list[str], int]:
    """A key of the series, wrapped onto as many lines as the width needs; its parts and the
    height it takes."""
    parts, x, line = [], 8, 0
    for i, name in enumerate(columns):
        width = 24 + round(6.4 * len(name))
        if x > 8 and x + width > WIDTH:
            x, line = 8, line + 1
        colour = COLOURS[i % len(COLOURS)]
        top = y + line * 16
        parts.append(f'<rect x="{x}" y="{top}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{top + 9}" class="legend">{escape(name)}</text>')
        x += width
    return parts, (line + 1) * 16 + 4


def bars(panel: Panel) -> Markup:
    """Horizontal bars: a group per row, a bar per column, each bar labelled with its count."""
    series = len(panel.columns)
    parts, top = _legend(panel.columns, 4) if series > 1 else ([], 4)
    group_h = series * BAR_H + GAP
    height = top + group_h * len(panel.rows) + 4
    peak = max((v for _, values in panel.rows for v in values), default=0) or 1
    span = WIDTH - LABEL_W - 60
    for r, (label, values) in enumerate(panel.rows):
        y0 = top + r * group_h
        shown = label if len(label) <= 28 else label[:27] + "…"
        parts.append(
            f'<text x="{LABEL_W - 6}" y="{y0 + series * BAR_H / 2 + 4:.0f}" '
            f'text-anchor="end" class="label">{escape(shown)}</text>'
        )
        for i, value in enumerate(values):
            w = round(span * value / peak)
            y = y0 + i * BAR_H
            colour = COLOURS[i % len(COLOURS)]
            parts.append(
                f'<rect x="{LABEL_W}" y="{y}" width="{max(w, 1)}" height="{BAR_H - 2}" '
                f'fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{LABEL_W + max(w, 1) + 4}" y="{y + BAR_H - 4}" class="value">'
                f"{_fmt(value)}</text>"
            )
    return _svg(panel, height, parts)


def columns(panel: Panel) -> Markup:
    """Vertical columns along a time axis (the first column's values), labelled every few."""
    n = max(len(panel.rows), 1)
    height, base, left = 170, 140, 40
    peak = max((values[0] for _, values in panel.rows), default=0) or 1
    step = (WIDTH - left - 8) / n
    parts = [
        f'<line x1="{left}" y1="{base}" x2="{WIDTH - 4}" y2="{base}" class="axis"/>',
        f'<text x="{left - 4}" y="{base - 120 + 4}" text-anchor="end" class="value">'
        f"{_fmt(peak)}</text>",
        f'<text x="{left - 4}" y="{base + 4}" text-anchor="end" class="value">0</text>',
    ]
    for i, (label, values) in enumerate(panel.rows):
        h = round(120 * values[0] / peak)
        x = left + i * step
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{base - h}" width="{max(step - 2, 1):.1f}" '
            f'height="{h}" fill="{COLOURS[0]}"/>'
        )
        if i % 3 == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{base + 16}" text-anchor="middle" '
                f'class="label">{escape(label)}</text>'
            )
    return _svg(panel, height, parts)


def _svg(panel: Panel, height: int, parts: list[str]) -> Markup:
    body = "".join(parts)
    # Every label above is escaped and every number is a formatted int.
    return Markup(  # noqa: S704  # nosec B704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(panel.title)}: chart of the table below" '
        f'xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def chart(panel: Panel) -> Markup:
    """The panel's chart: columns over time, or bars."""
    return columns(panel) if panel.timeline else bars(panel)

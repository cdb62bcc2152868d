"""Static SVG charts, hand-rolled: no dependency, text stays searchable and Japanese-safe."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

WIDTH = 760
LABEL_WIDTH = 190
VALUE_WIDTH = 110
ROW = 22
BAR = 15
TOP = 8

# Colour-blind-safe palette (Okabe–Ito), cycled for pools.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


@dataclass(frozen=True)
class Series:
    """One stacked component: key (for tests and CSS), label (legend), colour."""

    key: str
    label: str
    color: str


def yen(amount: int) -> str:
    """¥1,234,567 (negative as −¥1,234)."""
    return f"-¥{-amount:,}" if amount < 0 else f"¥{amount:,}"


def _scale(low: float, high: float, width: float) -> tuple[float, float]:
    """(x of zero, pixels per unit) for a value range that always includes zero."""
    low, high = min(low, 0.0), max(high, 0.0)
    span = (high - low) or 1.0
    per = width / span
    return -low * per, per


def _svg(height: int, body: list[str], label: str, chart: str) -> str:
    return (
        f'<svg class="chart" data-chart={quoteattr(chart)} '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f"aria-label={quoteattr(label)}>" + "".join(body) + "</svg>"
    )


def _label(y: float, text: str) -> str:
    return (
        f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR - 3:.1f}" text-anchor="end" class="label">'
        f"{escape(text)}</text>"
    )


def bar_chart(rows: Sequence[tuple[str, str, int]], title: str, chart: str = "totals") -> str:
    """Horizontal bars (key, label, yen), in the order given, value printed at the end of each bar."""
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    zero, per = _scale(min((v for _, _, v in rows), default=0), max((v for _, _, v in rows), default=0), plot)
    body = []
    for i, (key, label, value) in enumerate(rows):
        y = TOP + i * ROW
        x0 = LABEL_WIDTH + zero + min(0, value) * per
        width = max(abs(value) * per, 1.0 if value else 0.0)
        body.append(_label(y, label))
        body.append(
            f'<rect class="bar" data-ward={quoteattr(key)} data-value="{value}" x="{x0:.1f}" y="{y}" '
            f'width="{width:.1f}" height="{BAR}" fill="{PALETTE[0]}"><title>{escape(label)}: '
            f"{yen(value)}</title></rect>"
        )
        body.append(f'<text x="{LABEL_WIDTH + plot + 6}" y="{y + BAR - 3}" class="value">{yen(value)}</text>')
    return _svg(TOP * 2 + len(rows) * ROW, body, title, chart)


def stacked_bar_chart(
    rows: Sequence[tuple[str, str, Sequence[int]]], series: Sequence[Series], title: str, chart: str = "pools"
) -> str:
    """Horizontal stacked bars: positive parts stack right of zero, negative parts (refunds) left of it."""
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    high = max((sum(v for v in values if v > 0) for _, _, values in rows), default=0)
    low = min((sum(v for v in values if v < 0) for _, _, values in rows), default=0)
    zero, per = _scale(low, high, plot)
    legend_rows = (len(series) + 2) // 3
    body = []
    for j, s in enumerate(series):
        lx, ly = 10 + (j % 3) * 250, TOP + (j // 3) * ROW
        body.append(
            f'<rect class="legend" x="{lx}" y="{ly + 2}" width="12" height="12" fill="{s.color}"/>'
            f'<text x="{lx + 17}" y="{ly + 12}" class="label">{escape(s.label)}</text>'
        )
    offset = TOP + legend_rows * ROW + 6
    if low < 0:  # refunds extend left of zero: mark zero so the two directions read apart
        body.append(
            f'<line x1="{LABEL_WIDTH + zero:.1f}" x2="{LABEL_WIDTH + zero:.1f}" y1="{offset - 3}" '
            f'y2="{offset + len(rows) * ROW}" stroke="#555" stroke-width="1"/>'
        )
    for i, (key, label, values) in enumerate(rows):
        y = offset + i * ROW
        body.append(_label(y, label))
        right, left = 0, 0
        for s, value in zip(series, values, strict=True):
            if value == 0:
                continue
            if value > 0:
                x0, right = LABEL_WIDTH + zero + right * per, right + value
            else:
                left += value
                x0 = LABEL_WIDTH + zero + left * per
            body.append(
                f'<rect class="segment" data-ward={quoteattr(key)} data-series={quoteattr(s.key)} '
                f'data-value="{value}" x="{x0:.1f}" y="{y}" width="{max(abs(value) * per, 0.5):.1f}" '
                f'height="{BAR}" fill="{s.color}"><title>{escape(label)} · {escape(s.label)}: '
                f"{yen(value)}</title></rect>"
            )
        body.append(
            f'<text x="{LABEL_WIDTH + plot + 6}" y="{y + BAR - 3}" class="value">{yen(sum(values))}</text>'
        )
    return _svg(offset + len(rows) * ROW + TOP, body, title, chart)


def paired_share_chart(
    rows: Sequence[tuple[str, str, float, float]], title: str, chart: str = "shares"
) -> str:
    """Per ward two thin bars: share of the bill (dark) and share of population (light), in percent."""
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    top = max((max(a, b) for _, _, a, b in rows), default=0.0) or 1.0
    per = plot / top
    body = [
        f'<rect class="legend" x="10" y="{TOP + 2}" width="12" height="12" fill="{PALETTE[0]}"/>'
        f'<text x="27" y="{TOP + 12}" class="label">負担割合 / share of bill</text>'
        f'<rect class="legend" x="230" y="{TOP + 2}" width="12" height="12" fill="{PALETTE[4]}"/>'
        f'<text x="247" y="{TOP + 12}" class="label">人口割合 / share of population</text>'
    ]
    offset = TOP + ROW + 6
    for i, (key, label, share, population) in enumerate(rows):
        y = offset + i * ROW
        body.append(_label(y, label))
        for k, (value, color, series) in enumerate(
            ((share, PALETTE[0], "bill"), (population, PALETTE[4], "population"))
        ):
            body.append(
                f'<rect class="bar" data-ward={quoteattr(key)} data-series="{series}" '
                f'x="{LABEL_WIDTH}" y="{y + k * 7.5:.1f}" width="{max(value * per, 0.5):.1f}" height="7" '
                f'fill="{color}"><title>{escape(label)} {series}: {value:.2f}%</title></rect>'
            )
        body.append(
            f'<text x="{LABEL_WIDTH + plot + 6}" y="{y + BAR - 3}" class="value">'
            f"{share:.2f}% / {population:.2f}%</text>"
        )
    return _svg(offset + len(rows) * ROW + TOP, body, title, chart)


def change_chart(rows: Sequence[tuple[str, str, int]], title: str, chart: str = "change") -> str:
    """Diverging bars of yen change: increases right (orange), decreases left (blue)."""
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    zero, per = _scale(min((v for _, _, v in rows), default=0), max((v for _, _, v in rows), default=0), plot)
    body = [
        f'<line x1="{LABEL_WIDTH + zero:.1f}" x2="{LABEL_WIDTH + zero:.1f}" y1="0" '
        f'y2="{TOP * 2 + len(rows) * ROW}" stroke="#888" stroke-width="1"/>'
    ]
    for i, (key, label, value) in enumerate(rows):
        y = TOP + i * ROW
        x0 = LABEL_WIDTH + zero + min(0, value) * per
        color = PALETTE[5] if value > 0 else PALETTE[0]
        body.append(_label(y, label))
        body.append(
            f'<rect class="bar" data-ward={quoteattr(key)} data-value="{value}" x="{x0:.1f}" y="{y}" '
            f'width="{max(abs(value) * per, 0.5):.1f}" height="{BAR}" fill="{color}"><title>'
            f"{escape(label)}: {'+' if value > 0 else ''}{yen(value)}</title></rect>"
        )
        body.append(
            f'<text x="{LABEL_WIDTH + plot + 6}" y="{y + BAR - 3}" class="value">'
            f"{'+' if value > 0 else ''}{yen(value)}</text>"
        )
    return _svg(TOP * 2 + len(rows) * ROW, body, title, chart)

"""Bar charts as SVG written on the server: no script, no CDN, works offline."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT = 720, 200
_AXIS = 20  # room under the bars for the first and last labels


def bar_chart(
    points: Sequence[tuple[str, Decimal]], *, title: str, width: int = WIDTH
) -> SafeString:
    """Vertical bars, one per ``(label, amount)``, scaled to the largest amount.

    Each bar carries its label and amount as a tooltip (``<title>``); the
    first and last labels are written under the axis.
    """
    if not points:
        return format_html(
            '<svg class="chart" role="img" aria-label="{}" width="{}" height="{}">'
            "</svg>",
            title,
            width,
            HEIGHT,
        )
    top = max((amount for _, amount in points), default=Decimal(0))
    step = width / len(points)
    plot = HEIGHT - _AXIS
    bars = []
    for n, (label, amount) in enumerate(points):
        height = 0 if top <= 0 or amount <= 0 else float(amount / top) * (plot - 4)
        bars.append(
            (
                f"{n * step + 1:.1f}",
                f"{plot - height:.1f}",
                f"{max(step - 2, 1):.1f}",
                f"{height:.1f}",
                f"{label}: {amount:.2f}",
            )
        )
    rects = format_html_join(
        "",
        '<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title>'
        "</rect>",
        bars,
    )
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" '
        'width="100%" height="{}" preserveAspectRatio="none" '
        'xmlns="http://www.w3.org/2000/svg">'
        '<line x1="0" y1="{}" x2="{}" y2="{}" class="axis"></line>{}'
        '<text x="0" y="{}" class="label">{}</text>'
        '<text x="{}" y="{}" class="label" text-anchor="end">{}</text></svg>',
        title,
        width,
        HEIGHT,
        HEIGHT,
        plot,
        width,
        plot,
        rects,
        HEIGHT - 4,
        points[0][0],
        width,
        HEIGHT - 4,
        points[-1][0],
    )


def horizontal_bars(
    points: Sequence[tuple[str, Decimal]], *, title: str, width: int = WIDTH
) -> SafeString:
    """One labelled horizontal bar per ``(label, amount)``, largest first as given."""
    row = 22
    label_width = 200
    top = max((amount for _, amount in points), default=Decimal(0))
    room = width - label_width - 90
    items = []
    for n, (label, amount) in enumerate(points):
        length = 0 if top <= 0 or amount <= 0 else float(amount / top) * room
        y = n * row
        items.append(
            (
                y + 15,
                label[:32],
                label_width,
                y + 4,
                f"{max(length, 1):.1f}",
                f"{label}: {amount:.2f}",
                f"{label_width + length + 6:.1f}",
                y + 15,
                f"{amount:.2f}",
            )
        )
    body = format_html_join(
        "",
        '<text x="0" y="{}" class="label">{}</text>'
        '<rect class="bar" x="{}" y="{}" width="{}" height="14"><title>{}</title>'
        '</rect><text x="{}" y="{}" class="label">{}</text>',
        items,
    )
    height = max(len(points), 1) * row
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" '
        'width="100%" height="{}" xmlns="http://www.w3.org/2000/svg">{}</svg>',
        title,
        width,
        height,
        height,
        body,
    )

"""Small SVG charts drawn on the server: the geometry is worked out here, the templates draw it.
No chart library, no JavaScript."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.template.defaultfilters import filesizeformat
from django.utils import timezone

WIDTH, HEIGHT = 640, 150
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 10, 22
MAX_POINTS = 240


@dataclass(frozen=True)
class LineChart:
    """A line of values over time: `points` for <polyline>, `area` for the <polygon> below it."""

    points: str
    area: str
    y_labels: list[tuple[float, str]]  # (y, text)
    x_labels: list[tuple[float, str, str]]  # (x, text, text-anchor)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    bottom_edge: int = HEIGHT - BOTTOM


def throughput_chart(series: list[tuple[datetime, float]]) -> LineChart | None:
    """Bytes per second over time, or None with fewer than two points to draw."""
    series = _thinned(series)
    if len(series) < 2:
        return None
    start, end = series[0][0], series[-1][0]
    span = max((end - start).total_seconds(), 1.0)
    top = _nice_ceiling(max(value for _, value in series))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bottom = TOP + plot_h

    def xy(at: datetime, value: float) -> tuple[float, float]:
        x = LEFT + plot_w * (at - start).total_seconds() / span
        return round(x, 1), round(bottom - plot_h * value / top, 1)

    coords = [xy(at, value) for at, value in series]
    points = " ".join(f"{x},{y}" for x, y in coords)
    area = f"{coords[0][0]},{bottom} {points} {coords[-1][0]},{bottom}"
    y_labels = [(round(bottom - plot_h * f, 1), _rate(top * f)) for f in (0, 0.5, 1)]
    x_labels = [
        (LEFT, _clock(start), "start"),
        (LEFT + plot_w / 2, _clock(start + (end - start) / 2), "middle"),
        (WIDTH - RIGHT, _clock(end), "end"),
    ]
    return LineChart(points, area, y_labels, x_labels)


@dataclass(frozen=True)
class BarSegment:
    state: str
    label: str
    count: int
    x: float
    width: float


def state_bar(states: list[tuple[str, str, int]], width: int = 1000) -> list[BarSegment]:
    """Users per state as the segments of one bar `width` wide, in the order given."""
    total = sum(count for _, _, count in states)
    segments, x = [], 0.0
    for state, label, count in states:
        if count and total:
            part = width * count / total
            segments.append(BarSegment(state, label, count, round(x, 2), round(part, 2)))
            x += part
    return segments


def _thinned(series: list[tuple[datetime, float]]) -> list[tuple[datetime, float]]:
    """At most MAX_POINTS points: neighbours averaged, so that a day of samples stays small."""
    if len(series) <= MAX_POINTS:
        return series
    size = math.ceil(len(series) / MAX_POINTS)
    chunks = [series[i : i + size] for i in range(0, len(series), size)]
    return [(chunk[-1][0], sum(v for _, v in chunk) / len(chunk)) for chunk in chunks]


def _nice_ceiling(value: float) -> float:
    """At least `value` and round in the unit it is shown in (KB, MB... of 1024): 1, 2 or 5
    times a power of ten of that unit; never 0."""
    if value <= 1:
        return 1.0
    unit = 1024 ** min(4, int(math.log(max(value, 1), 1024)))
    scaled = value / unit
    power = 10 ** math.floor(math.log10(scaled))
    return unit * next(step * power for step in (1, 2, 5, 10) if step * power >= scaled)


def _rate(bytes_per_second: float) -> str:
    return f"{filesizeformat(bytes_per_second)}/s" if bytes_per_second else "0"


def _clock(at: datetime) -> str:
    return timezone.localtime(at).strftime("%H:%M")

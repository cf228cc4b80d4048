"""A load run's chart, drawn on the server as SVG (the geometry here, the markup in the
template): latency percentiles per second above, calls per second by outcome below (with
the active virtual users as a line), and a mark where 429s began."""

from dataclasses import dataclass

WIDTH = 720
LEFT, RIGHT = 52, 700
LATENCY_TOP, LATENCY_BOTTOM = 14, 150
CALLS_TOP, CALLS_BOTTOM = 184, 300
HEIGHT = 326
OUTCOMES = (
    ("succeeded", "Success"),
    ("failed", "Failed"),
    ("rate_limited", "429"),
    ("errors", "Call error"),
)
PERCENTILES = (("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99"))


@dataclass(frozen=True)
class Rect:
    kind: str
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Line:
    kind: str
    label: str
    points: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class LoadChart:
    lines: list[Line]
    rects: list[Rect]
    users_line: str
    latency_ticks: list[Tick]
    calls_ticks: list[Tick]
    time_labels: list[tuple[float, str]]
    onset_x: float | None
    onset_second: int | None
    seconds: int
    onset_anchor: str = "start"
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    latency_top: int = LATENCY_TOP
    latency_bottom: int = LATENCY_BOTTOM
    calls_top: int = CALLS_TOP
    calls_bottom: int = CALLS_BOTTOM


def load_chart(buckets: list) -> LoadChart | None:
    """The chart of `buckets` (LoadBucket rows, by second), None before the first."""
    if not buckets:
        return None
    seconds = buckets[-1].second + 1
    step = (RIGHT - LEFT) / seconds
    slowest = max((b.p99_ms or b.p95_ms or b.p50_ms or 0) for b in buckets) or 1.0
    top_latency = _nice(slowest)
    busiest = max(max(b.calls for b in buckets), max(b.active_users for b in buckets), 1)
    top_calls = _nice(busiest)

    def latency_y(ms: float) -> float:
        return round(LATENCY_BOTTOM - (LATENCY_BOTTOM - LATENCY_TOP) * ms / top_latency, 2)

    def calls_y(count: float) -> float:
        return round(CALLS_BOTTOM - (CALLS_BOTTOM - CALLS_TOP) * count / top_calls, 2)

    def middle(second: int) -> float:
        return round(LEFT + step * (second + 0.5), 2)

    lines = []
    for field, label in PERCENTILES:
        points = [
            f"{middle(b.second)},{latency_y(getattr(b, field))}"
            for b in buckets
            if getattr(b, field) is not None
        ]
        lines.append(Line(field.removesuffix("_ms"), label, " ".join(points)))
    rects = []
    width = round(max(step * 0.8, 1.0), 2)
    for bucket in buckets:
        base = 0
        for field, label in OUTCOMES:
            count = getattr(bucket, field)
            if not count:
                continue
            y_top, y_base = calls_y(base + count), calls_y(base)
            rects.append(
                Rect(
                    field,
                    round(LEFT + step * bucket.second + (step - width) / 2, 2),
                    y_top,
                    width,
                    round(max(y_base - y_top, 1.0), 2),
                    f"Second {bucket.second}: {count:,} {label.lower()}",
                )
            )
            base += count
    users_line = " ".join(f"{middle(b.second)},{calls_y(b.active_users)}" for b in buckets)
    onset = next((b.second for b in buckets if b.rate_limited), None)
    every = max(1, round(seconds / 8))
    return LoadChart(
        lines=lines,
        rects=rects,
        users_line=users_line,
        latency_ticks=[Tick(latency_y(v), f"{v:g} ms") for v in (0, top_latency / 2, top_latency)],
        calls_ticks=[Tick(calls_y(v), f"{v:g}") for v in (0, top_calls / 2, top_calls)],
        time_labels=[(middle(s), f"{s}s") for s in range(0, seconds, every)],
        onset_x=None if onset is None else round(LEFT + step * onset, 2),
        onset_second=onset,
        seconds=seconds,
        # The label reads away from the mark, inwards, wherever the mark falls.
        onset_anchor="end" if onset is not None and onset > seconds / 2 else "start",
    )


def _nice(value: float) -> float:
    """A round top for an axis, at or above `value`: 1, 2 or 5 times a power of ten."""
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    while magnitude > value and magnitude > 1:
        magnitude /= 10
    for factor in (1, 2, 5, 10):
        if magnitude * factor >= value:
            return magnitude * factor
    return magnitude * 10

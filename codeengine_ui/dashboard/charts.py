"""Charts drawn on the server as SVG: the geometry is computed here, the markup is in the
templates. Every bar segment and every point links to the history runs it stands for."""

import math
from dataclasses import dataclass
from urllib.parse import urlencode

from django.utils import dateformat, timezone

from codeengine_ui.runs.models import FINISHED_OUTCOMES, Outcome
from codeengine_ui.runs.templatetags.execution_display import human_duration

from .stats import SPARKLINE_RUNS, Bucket, RecentRun

# The bar chart's drawing area, in SVG user units (it scales to the card's width).
CHART_WIDTH, CHART_HEIGHT = 720, 210
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 44, 712, 10, 180
MIN_SEGMENT_HEIGHT = 2  # a single run among thousands stays visible
LABEL_EVERY = {"24h": 3, "7d": 1, "30d": 5}


@dataclass(frozen=True)
class Segment:
    outcome: Outcome
    runs: int
    y: float
    height: float
    href: str
    title: str


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    name: str  # "Mon 23 Nov" or "Mon 23 Nov, 14:00"
    axis_label: str  # shown under the bar, or empty
    bucket: Bucket
    href: str  # every run of the bar
    segments: list[Segment]

    @property
    def label_x(self) -> float:
        return round(self.x + self.width / 2, 2)

    def outcome_links(self) -> list[tuple[Outcome, int, str]]:
        return [
            (outcome, self.bucket.tally.of(outcome), self._link(outcome))
            for outcome in FINISHED_OUTCOMES
        ]

    def _link(self, outcome: Outcome) -> str:
        return next((s.href for s in self.segments if s.outcome == outcome), "")


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    ticks: list[Tick]
    total: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    plot_left: int = PLOT_LEFT
    plot_right: int = PLOT_RIGHT
    plot_bottom: int = PLOT_BOTTOM

    @property
    def axis_label_y(self) -> int:
        return self.plot_bottom + 18


def runs_chart(buckets: list[Bucket], chart_range: str, history_url: str) -> BarChart:
    """Runs per hour or day, stacked by outcome (success at the bottom)."""
    top = nice_ceiling(max((bucket.tally.total for bucket in buckets), default=0))
    scale = (PLOT_BOTTOM - PLOT_TOP) / top
    slot = (PLOT_RIGHT - PLOT_LEFT) / len(buckets)
    every = LABEL_EVERY.get(chart_range, 1)
    hourly = chart_range == "24h"
    bars = []
    for index, bucket in enumerate(buckets):
        name = _bucket_name(bucket, hourly)
        segments = []
        base = PLOT_BOTTOM
        for outcome in FINISHED_OUTCOMES:
            runs = bucket.tally.of(outcome)
            if not runs:
                continue
            height = max(runs * scale, MIN_SEGMENT_HEIGHT)
            base -= height
            segments.append(
                Segment(
                    outcome=outcome,
                    runs=runs,
                    y=round(base, 2),
                    height=round(height, 2),
                    href=history_link(history_url, bucket, outcome),
                    title=f"{name}: {runs} {outcome.label.lower()}",
                )
            )
        labelled = (len(buckets) - 1 - index) % every == 0
        bars.append(
            Bar(
                x=round(PLOT_LEFT + slot * index + slot * 0.15, 2),
                width=round(slot * 0.7, 2),
                name=name,
                axis_label=_axis_label(bucket, hourly) if labelled else "",
                bucket=bucket,
                href=history_link(history_url, bucket),
                segments=segments,
            )
        )
    ticks = [Tick(PLOT_BOTTOM, "0"), Tick(PLOT_TOP, str(top))]
    if top % 2 == 0:
        ticks.insert(1, Tick((PLOT_BOTTOM + PLOT_TOP) / 2, str(top // 2)))
    total = sum(bucket.tally.total for bucket in buckets)
    kind = "hour" if hourly else "day"
    title = f"Runs per {kind} by outcome: {total} in all"
    return BarChart(title=title, bars=bars, ticks=ticks, total=total)


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 4, 5 times a power of ten that is at least `value` (and 1)."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 4, 5, 10) if step * magnitude >= value)


def history_link(history_url: str, bucket: Bucket, outcome: Outcome | None = None) -> str:
    query = {"start": bucket.start.isoformat(), "end": bucket.end.isoformat()}
    if outcome is not None:
        query = {"outcome": outcome.value, **query}
    return f"{history_url}?{urlencode(query)}"


def _bucket_name(bucket: Bucket, hourly: bool) -> str:
    local = timezone.localtime(bucket.start)
    return dateformat.format(local, "D j M, H:i" if hourly else "D j M")


def _axis_label(bucket: Bucket, hourly: bool) -> str:
    local = timezone.localtime(bucket.start)
    return dateformat.format(local, "H:i" if hourly else "D j")


# --- Sparklines: a function's last runs in the function list ------------------------------

SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 120, 32, 4


@dataclass(frozen=True)
class SparkPoint:
    x: float
    y: float
    href: str
    title: str
    failed: bool


@dataclass(frozen=True)
class Sparkline:
    points: list[SparkPoint]
    finished: int
    failures: int
    title: str
    width: int = SPARK_WIDTH
    height: int = SPARK_HEIGHT

    @property
    def polyline(self) -> str:
        return " ".join(f"{point.x},{point.y}" for point in self.points)

    @property
    def failure_rate(self) -> float | None:
        return 100 * self.failures / self.finished if self.finished else None


def sparkline(function_id: int, runs: list[RecentRun], history_url: str) -> Sparkline:
    """The durations of a function's last runs, oldest first, newest at the right edge.
    A point opens the history at that run."""
    longest = max((run.duration.total_seconds() for run in runs if run.duration), default=0) or 1
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / (SPARKLINE_RUNS - 1)
    points = []
    for index, run in enumerate(runs):
        if run.duration is None:  # no point, but a gap where it stands
            continue
        x = SPARK_WIDTH - SPARK_PAD - step * (len(runs) - 1 - index)
        seconds = run.duration.total_seconds()
        y = SPARK_HEIGHT - SPARK_PAD - (SPARK_HEIGHT - 2 * SPARK_PAD) * seconds / longest
        query = urlencode({"function": function_id, "before": run.pk + 1})
        outcome = "succeeded" if run.succeeded else "did not succeed"
        points.append(
            SparkPoint(
                x=round(x, 2),
                y=round(y, 2),
                href=f"{history_url}?{query}",
                title=f"Run #{run.pk} {outcome}, {human_duration(run.duration)}",
                failed=not run.succeeded,
            ),
        )
    failures = sum(1 for run in runs if not run.succeeded)
    title = (
        f"Durations of the last {len(runs)} runs" if len(runs) > 1 else "Duration of the last run"
    )
    return Sparkline(points=points, finished=len(runs), failures=failures, title=title)

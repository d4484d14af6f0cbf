"""Charts drawn on the server as SVG: no script, no CDN, and each with a sentence that says what
it shows and a table of its numbers.

A :class:`Chart` is geometry in the SVG's own coordinates plus its text alternative and
table; ``templates/_chart.html`` draws any of them. Colours come from CSS classes, and every
state also has a shape or a label, so none is told by colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from ca_incident.app.dashboard import DayCount, ProblemView
from ca_incident.clocks import Clock
from ca_incident.timeutil import report_time

WIDTH = 720
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 56, 24, 24, 40
PER_DAY_LIMIT = 400
"""Beyond this many days, issuance is counted per week."""


@dataclass(frozen=True)
class Tick:
    at: float
    label: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    title: str
    css: str


@dataclass(frozen=True)
class Marker:
    """A vertical line across the plot, with its label: a deadline, the moment judged."""

    x: float
    label: str
    css: str


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    shape: str
    """``circle``, ``diamond``, ``square`` or ``cross``: the state, besides its colour."""
    title: str
    css: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    css: str = ""
    anchor: str = "start"


@dataclass(frozen=True)
class Stroke:
    d: str
    css: str


@dataclass
class Chart:
    id: str
    title: str
    summary: str
    """The text alternative: what the chart shows, in one or two sentences."""
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    """The table fallback: the chart's numbers."""
    width: int = WIDTH
    height: int = HEIGHT
    rects: list[Rect] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    dots: list[Dot] = field(default_factory=list)
    paths: list[Stroke] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)

    @property
    def plot_left(self) -> int:
        return LEFT

    @property
    def plot_right(self) -> int:
        return self.width - RIGHT

    @property
    def plot_top(self) -> int:
        return TOP

    @property
    def plot_bottom(self) -> int:
        return self.height - BOTTOM


def _nice_ceiling(value: int) -> int:
    """A round top for a count axis: 1, 2, 5, 10, 20, 50, ..."""
    if value <= 1:
        return 1
    power: int = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _count_ticks(top: int, y: _Scale) -> list[Tick]:
    steps = 4 if top >= 4 else top
    return [Tick(y(top * i / steps), f"{round(top * i / steps):,}") for i in range(steps + 1)]


class _Scale:
    """A linear map from a domain to pixels."""

    def __init__(self, low: float, high: float, start: float, end: float) -> None:
        self.low, self.high, self.start, self.end = low, high, start, end

    def __call__(self, value: float) -> float:
        span = self.high - self.low or 1.0
        return round(self.start + (value - self.low) / span * (self.end - self.start), 2)


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _time_ticks(low: datetime, high: datetime, x: _Scale, count: int = 5) -> list[Tick]:
    span = (high - low).total_seconds()
    ticks = []
    for i in range(count):
        moment = low + timedelta(seconds=span * i / (count - 1))
        label = f"{moment:%Y-%m-%d}" if span > 3 * 86400 else f"{moment:%m-%d %H:%M}"
        ticks.append(Tick(x(moment.timestamp()), label, "end" if i == count - 1 else "middle"))
    return ticks


def issuance(problem: ProblemView) -> Chart | None:
    """Certificates issued per day (per week over long spans), by notBefore."""
    days = problem.issuance
    if not days:
        return None
    first, last = days[0].day, days[-1].day
    weekly = (last - first).days + 1 > PER_DAY_LIMIT
    buckets: list[DayCount] = []
    if weekly:
        start = first - timedelta(days=first.weekday())
        counts: dict[date, int] = {}
        for d in days:
            week = d.day - timedelta(days=d.day.weekday())
            counts[week] = counts.get(week, 0) + d.count
        day = start
        while day <= last:
            buckets.append(DayCount(day, counts.get(day, 0)))
            day += timedelta(days=7)
    else:
        counts = {d.day: d.count for d in days}
        day = first
        while day <= last:
            buckets.append(DayCount(day, counts.get(day, 0)))
            day += timedelta(days=1)
    unit = "week" if weekly else "day"
    total = sum(d.count for d in days)
    busiest = max(days, key=lambda d: (d.count, d.day))
    chart = Chart(
        id=f"issuance-{problem.id}",
        title=f"Issuance per {unit}: {problem.id}",
        summary=(
            f"{total:,} certificates of problem {problem.id} by notBefore, from {first} to "
            f"{last}, on {len(days):,} days; the most on {busiest.day} ({busiest.count:,})."
        ),
        columns=(f"{unit} (notBefore, UTC)", "certificates"),
        rows=[(str(d.day), f"{d.count:,}") for d in (buckets if weekly else days) if d.count],
    )
    top = _nice_ceiling(max(d.count for d in buckets))
    x = _Scale(0, len(buckets), chart.plot_left, chart.plot_right)
    y = _Scale(0, top, chart.plot_bottom, chart.plot_top)
    width = max((chart.plot_right - chart.plot_left) / len(buckets) - 1, 1)
    for n, d in enumerate(buckets):
        if not d.count:
            continue
        chart.rects.append(
            Rect(
                x(n),
                y(d.count),
                round(width, 2),
                round(chart.plot_bottom - y(d.count), 2),
                f"{unit} of {d.day}: {d.count:,}" if weekly else f"{d.day}: {d.count:,}",
                "bar",
            )
        )
    chart.y_ticks = _count_ticks(top, y)
    step = max(1, len(buckets) // 5)
    chart.x_ticks = [
        Tick(x(n) + width / 2, str(buckets[n].day)) for n in range(0, len(buckets), step)
    ][:6]
    return chart


def revocation(
    problem: ProblemView, start: datetime | None, due: datetime | None, as_of: datetime
) -> Chart | None:
    """Certificates revoked over time, as the CRLs show, against the deadline and the total."""
    figures = problem.revocation
    if figures is None or due is None:
        return None
    total = figures.count
    moments = [at for at, _ in problem.revoked]
    low = min([start or due, *moments[:1]])
    high = max([due, *moments[-1:], min(as_of, due + (due - low))])
    low, high = low - (high - low) * 0.03, high + (high - low) * 0.03
    on_time = sum(1 for at in moments if at <= due)
    chart = Chart(
        id=f"revocation-{problem.id}",
        title=f"Revocation progress: {problem.id}",
        summary=(
            f"{len(moments):,} of {total:,} certificates of problem {problem.id} shown revoked "
            f"by the CRLs, {on_time:,} by the deadline of {report_time(due)}"
            + (f"; the last at {report_time(moments[-1])}." if moments else ".")
        ),
        columns=("revoked at (UTC)", "revoked so far", "by the deadline"),
        rows=[
            (report_time(at), f"{n:,}", "yes" if at <= due else "no") for at, n in problem.revoked
        ],
    )
    top = _nice_ceiling(max(total, 1))
    x = _Scale(low.timestamp(), high.timestamp(), chart.plot_left, chart.plot_right)
    y = _Scale(0, top, chart.plot_bottom, chart.plot_top)
    points = [(x(low.timestamp()), y(0))]
    for at, n in problem.revoked:
        points.append((x(at.timestamp()), points[-1][1]))
        points.append((x(at.timestamp()), y(n)))
    end = min(as_of, high)
    points.append((x(end.timestamp()), points[-1][1]))
    chart.paths.append(Stroke("M " + " L ".join(f"{px},{py}" for px, py in points), "progress"))
    chart.paths.append(
        Stroke(f"M {chart.plot_left},{y(total)} L {chart.plot_right},{y(total)}", "total")
    )
    chart.labels.append(
        Label(chart.plot_left + 4, y(total) - 4, f"affected: {total:,}", "total-label")
    )
    chart.markers.append(Marker(x(due.timestamp()), f"deadline {report_time(due)}", "deadline"))
    if low <= as_of <= high:
        chart.markers.append(Marker(x(as_of.timestamp()), "now", "now"))
    for at, n in problem.revoked:
        late = at > due
        chart.dots.append(
            Dot(
                x(at.timestamp()),
                y(n),
                "cross" if late else "circle",
                f"{report_time(at)}: {n:,} revoked{' (late)' if late else ''}",
                "late" if late else "met",
            )
        )
    chart.x_ticks = _time_ticks(low, high, x)
    chart.y_ticks = _count_ticks(top, y)
    return chart


STATES = ("met", "late", "open", "overdue")
_SHAPES = {"met": "circle", "late": "cross", "open": "diamond", "overdue": "square"}


def clock_state(clock: Clock) -> str:
    """met (done in time), late (done after due), open (running), overdue (past due)."""
    if clock.open:
        return "overdue" if clock.overdue else "open"
    return "late" if clock.late else "met"


def clock_timeline(found: Sequence[Clock], as_of: datetime) -> Chart | None:
    """Every clock on one time axis, a row each: its due moment, and when it was met."""
    if not found:
        return None
    row = 22
    height = TOP + BOTTOM + row * len(found)
    moments = [as_of, *(c.due for c in found), *(c.done for c in found if c.done)]
    low, high = min(moments), max(moments)
    pad = (high - low) * 0.04 or timedelta(days=1)
    low, high = low - pad, high + pad
    counts = {s: sum(clock_state(c) == s for c in found) for s in STATES}
    chart = Chart(
        id="clocks",
        title="Clocks",
        summary=(
            f"{len(found):,} clocks: "
            + ", ".join(f"{counts[s]:,} {s}" for s in STATES)
            + f"; judged at {report_time(as_of)}."
        ),
        columns=("clock", "due (UTC)", "done (UTC)", "state", "requirement"),
        rows=[
            (
                c.what,
                report_time(c.due),
                report_time(c.done) if c.done else "",
                clock_state(c),
                c.requirement,
            )
            for c in found
        ],
        height=height,
    )
    x = _Scale(low.timestamp(), high.timestamp(), chart.plot_left, chart.plot_right)
    for n, clock in enumerate(found):
        y = TOP + row * n + row / 2
        state = clock_state(clock)
        chart.labels.append(Label(LEFT - 10, y + 4, str(n + 1), "row-label", "end"))
        if clock.done is not None:
            a, b = sorted((x(clock.due.timestamp()), x(clock.done.timestamp())))
            chart.paths.append(Stroke(f"M {a},{y} L {b},{y}", f"span {state}"))
        elif clock.overdue:
            chart.paths.append(
                Stroke(
                    f"M {x(clock.due.timestamp())},{y} L {x(as_of.timestamp())},{y}", "span overdue"
                )
            )
        chart.dots.append(
            Dot(
                x(clock.due.timestamp()),
                y,
                _SHAPES[state],
                f"{clock.what}: due {report_time(clock.due)}, {state}",
                state,
            )
        )
    chart.markers.append(Marker(x(as_of.timestamp()), "now", "now"))
    chart.x_ticks = _time_ticks(low, high, x)
    return chart


def per_year(counts: dict[int, int], title: str, what: str) -> Chart | None:
    """Counts per year, as bars."""
    if not counts:
        return None
    years = list(range(min(counts), max(counts) + 1))
    total = sum(counts.values())
    busiest = max(counts, key=lambda y: (counts[y], y))
    chart = Chart(
        id="per-year",
        title=title,
        summary=(
            f"{total:,} {what} from {years[0]} to {years[-1]}; the most in {busiest} "
            f"({counts[busiest]:,})."
        ),
        columns=("year", what),
        rows=[(str(year), f"{counts.get(year, 0):,}") for year in years],
    )
    top = _nice_ceiling(max(counts.values()))
    x = _Scale(0, len(years), chart.plot_left, chart.plot_right)
    y = _Scale(0, top, chart.plot_bottom, chart.plot_top)
    width = (chart.plot_right - chart.plot_left) / len(years)
    for n, year in enumerate(years):
        value = counts.get(year, 0)
        if value:
            chart.rects.append(
                Rect(
                    x(n) + 2,
                    y(value),
                    round(width - 4, 2),
                    round(chart.plot_bottom - y(value), 2),
                    f"{year}: {value:,}",
                    "bar",
                )
            )
        chart.x_ticks.append(Tick(x(n) + width / 2, str(year)))
    chart.y_ticks = _count_ticks(top, y)
    return chart

"""Results of a benchmark run: the rows, the attscope/tshark ratios, the memory-growth check,
and their rendering as a text table and as JSON."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from childrun import Run

ATTSCOPE = "attscope"
TSHARK = "tshark"
BASELINE = "baseline"  # another build of attscope, to compare a change with (--baseline)
OURS = (ATTSCOPE, BASELINE)
FLOOR_MARGIN = 1.05  # a peak within 5 % of the floor may be the floor, not the command


@dataclass
class Row:
    """One command on one capture size, with every repetition's measurement."""

    case: str
    tool: str
    frames: int
    argv: list[str]
    runs: list[Run] = field(default_factory=list)

    @property
    def best_wall_s(self) -> float:
        # The fastest run is the one least disturbed by the rest of the machine.
        return min(run.wall_s for run in self.runs)

    @property
    def best_cpu_s(self) -> float:
        return min(run.cpu_s for run in self.runs)

    @property
    def max_rss_kib(self) -> int:
        # Peak memory is a property of the work, not of luck: take the worst seen.
        return max(run.max_rss_kib for run in self.runs)

    @property
    def frames_per_s(self) -> float:
        return self.frames / self.best_wall_s


@dataclass(frozen=True)
class Ratio:
    case: str
    tool: str  # attscope, or the baseline build
    frames: int
    time: float  # attscope wall / tshark wall: below 1 means attscope is faster
    memory: float  # attscope peak RSS / tshark peak RSS


@dataclass(frozen=True)
class Growth:
    case: str
    tool: str
    small_frames: int
    large_frames: int
    small_kib: int
    large_kib: int
    checked: bool  # attscope must stream; tshark's growth is shown for reference only
    limit: float

    @property
    def ratio(self) -> float:
        return self.large_kib / self.small_kib

    @property
    def ok(self) -> bool:
        return not self.checked or self.ratio <= self.limit


def find(rows: Iterable[Row], case: str, tool: str, frames: int) -> Row | None:
    return next((r for r in rows if (r.case, r.tool, r.frames) == (case, tool, frames)), None)


def ratios(rows: Sequence[Row]) -> list[Ratio]:
    out = []
    for row in rows:
        if row.tool not in OURS:
            continue
        ref = find(rows, row.case, TSHARK, row.frames)
        if ref is not None:
            out.append(
                Ratio(
                    row.case,
                    row.tool,
                    row.frames,
                    row.best_wall_s / ref.best_wall_s,
                    row.max_rss_kib / ref.max_rss_kib,
                )
            )
    return out


def growth(rows: Sequence[Row], small: int, large: int, limit: float) -> list[Growth]:
    out = []
    for row in rows:
        if row.frames != large:
            continue
        base = find(rows, row.case, row.tool, small)
        if base is not None:
            out.append(
                Growth(
                    row.case,
                    row.tool,
                    small,
                    large,
                    base.max_rss_kib,
                    row.max_rss_kib,
                    row.tool in OURS,
                    limit,
                )
            )
    return out


def mib(kib: int) -> float:
    return kib / 1024


def table(rows: Sequence[Row], floor_kib: int) -> Iterator[str]:
    """The main table; the attscope row of each pair carries the ratios against tshark."""
    by_key = {(r.case, r.tool, r.frames): r for r in ratios(rows)}
    head = (
        "case",
        "command",
        "frames",
        "wall s",
        "frames/s",
        "peak MiB",
        "time/tshark",
        "mem/tshark",
    )
    lines: list[tuple[str, ...]] = [head]
    for row in rows:
        ratio = by_key.get((row.case, row.tool, row.frames))
        at_floor = row.max_rss_kib <= floor_kib * FLOOR_MARGIN
        lines.append(
            (
                row.case,
                row.tool,
                f"{row.frames:,}",
                f"{row.best_wall_s:.3f}",
                f"{row.frames_per_s:,.0f}",
                f"{mib(row.max_rss_kib):.1f}" + ("*" if at_floor else ""),
                f"{ratio.time:.3f}" if ratio else "",
                f"{ratio.memory:.3f}" if ratio else "",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for line in lines:
        # Text columns left, numbers right, as a reader scans them.
        cells = [
            cell.ljust(w) if i < 2 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ]
        yield "  ".join(cells).rstrip()


def baseline_lines(rows: Sequence[Row]) -> Iterator[str]:
    """attscope over the baseline build, case by case: the change's cost or gain."""
    for row in rows:
        if row.tool != ATTSCOPE:
            continue
        base = find(rows, row.case, BASELINE, row.frames)
        if base is not None:
            yield (
                f"  {row.case} at {row.frames:,} frames: time {row.best_wall_s:.3f} / "
                f"{base.best_wall_s:.3f} s = {row.best_wall_s / base.best_wall_s:.3f}, "
                f"peak {mib(row.max_rss_kib):.1f} / {mib(base.max_rss_kib):.1f} MiB = "
                f"{row.max_rss_kib / base.max_rss_kib:.3f}"
            )


def growth_lines(checks: Sequence[Growth]) -> Iterator[str]:
    for g in checks:
        verdict = (
            ("ok, streams" if g.ok else "GROWS: does not stream") + f" (limit {g.limit:.2f})"
            if g.checked
            else "reference only"
        )
        yield (
            f"  {g.case}/{g.tool}: {mib(g.small_kib):.1f} MiB at {g.small_frames:,} → "
            f"{mib(g.large_kib):.1f} MiB at {g.large_frames:,} frames: "
            f"ratio {g.ratio:.3f}, {verdict}"
        )


def to_json(rows: Sequence[Row], checks: Sequence[Growth]) -> dict[str, Any]:
    return {
        "rows": [
            {
                "case": r.case,
                "tool": r.tool,
                "frames": r.frames,
                "argv": r.argv,
                "wall_s_best": r.best_wall_s,
                "wall_s_runs": [run.wall_s for run in r.runs],
                "cpu_s_best": r.best_cpu_s,
                "frames_per_s": r.frames_per_s,
                "peak_rss_kib": r.max_rss_kib,
                "peak_rss_kib_runs": [run.max_rss_kib for run in r.runs],
            }
            for r in rows
        ],
        "ratios": [
            {"case": q.case, "tool": q.tool, "frames": q.frames, "time": q.time, "memory": q.memory}
            for q in ratios(rows)
        ],
        "growth": [
            {
                "case": g.case,
                "tool": g.tool,
                "small_frames": g.small_frames,
                "large_frames": g.large_frames,
                "small_kib": g.small_kib,
                "large_kib": g.large_kib,
                "ratio": g.ratio,
                "checked": g.checked,
                "limit": g.limit,
                "ok": g.ok,
            }
            for g in checks
        ],
    }

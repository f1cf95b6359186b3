"""One pass over a capture that counts what `attscope info` reports, in constant memory."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import msgspec

from attscope.capture import linktypes as lt
from attscope.capture.errors import CaptureWarning
from attscope.capture.frame import Direction
from attscope.capture.reader import CaptureReader


class LinkTypeCount(msgspec.Struct, frozen=True):
    linktype: int
    name: str
    frames: int


class CaptureSummary(msgspec.Struct, frozen=True):
    file: str
    format: str
    detail: str
    frames: int
    link_types: list[LinkTypeCount]
    directions: dict[str, int]
    first_us: int | None
    last_us: int | None
    first: str | None
    last: str | None
    duration_us: int | None
    warnings: list[CaptureWarning]


def iso_time(ts_us: int) -> str:
    """ISO 8601 in UTC with microseconds, e.g. 2024-05-01T12:00:00.000001Z."""
    try:
        moment = datetime.fromtimestamp(ts_us / 1_000_000, UTC)
    except (OverflowError, OSError, ValueError):
        return f"{ts_us} us since 1970 (out of the calendar's range)"
    return moment.replace(microsecond=ts_us % 1_000_000).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def summarize(reader: CaptureReader) -> CaptureSummary:
    counts: Counter[tuple[int, int]] = Counter()
    first = last = None
    n = 0
    for frame in reader:
        counts[frame.linktype, frame.direction] += 1
        if first is None:
            first = frame.ts_us
        last = frame.ts_us
        n += 1
    per_linktype: Counter[int] = Counter()
    per_direction: Counter[str] = Counter()
    for (linktype, direction), c in counts.items():
        per_linktype[linktype] += c
        per_direction[Direction(direction).name.lower()] += c
    declared = [t for t in dict.fromkeys(reader.linktypes) if t not in per_linktype]
    link_types = [LinkTypeCount(t, lt.name(t), per_linktype[t]) for t in sorted(per_linktype)]
    link_types += [LinkTypeCount(t, lt.name(t), 0) for t in declared]
    return CaptureSummary(
        file=reader.name,
        format=reader.format,
        detail=reader.detail,
        frames=n,
        link_types=link_types,
        directions=dict(sorted(per_direction.items())),
        first_us=first,
        last_us=last,
        first=iso_time(first) if first is not None else None,
        last=iso_time(last) if last is not None else None,
        duration_us=(last - first) if first is not None and last is not None else None,
        warnings=list(reader.warnings),
    )

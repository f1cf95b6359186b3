"""`attscope info FILE`: what a capture holds, without dissecting it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import msgspec

from attscope.capture import open_capture
from attscope.capture.printable import printable
from attscope.capture.summary import CaptureSummary, summarize
from attscope.cli.log_arg import add_log_argument

DIRECTION_LABELS = {
    "host_to_controller": "host->controller",
    "controller_to_host": "controller->host",
    "central_to_peripheral": "central->peripheral",
    "peripheral_to_central": "peripheral->central",
    "unknown": "unknown",
}


def register(sub: Any) -> None:
    p = sub.add_parser("info", help="format, link types, frame count and time span of a capture")
    p.add_argument("file", help="capture file (btsnoop, pcap, pcapng, or anything tshark reads)")
    add_log_argument(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def format_duration(us: int) -> str:
    seconds, micros = divmod(us, 1_000_000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    clock = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
    return f"{us / 1e6:.6f} s ({clock}.{micros:06d})"


def render_text(s: CaptureSummary) -> str:
    lines = [
        f"File:        {printable(s.file)}",
        f"Format:      {printable(s.format)}" + (f" ({s.detail})" if s.detail else ""),
        f"Frames:      {s.frames}",
    ]
    for i, t in enumerate(s.link_types):
        label = "Link types:" if i == 0 else ""
        lines.append(f"{label:<12} {t.linktype} {t.name}: {t.frames} frames")
    if s.first is not None and s.duration_us is not None:
        lines.append(f"First:       {s.first}")
        lines.append(f"Last:        {s.last}")
        lines.append(f"Duration:    {format_duration(s.duration_us)}")
    for i, (direction, count) in enumerate(s.directions.items()):
        label = "Directions:" if i == 0 else ""
        lines.append(f"{label:<12} {DIRECTION_LABELS.get(direction, direction)}: {count}")
    if s.warnings:
        for i, w in enumerate(s.warnings):
            label = "Warnings:" if i == 0 else ""
            lines.append(f"{label:<12} {w}")
    else:
        lines.append("Warnings:    none")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    summary = summarize(open_capture(args.file, args.log))
    if args.json:
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(summary)).decode() + "\n")
    else:
        print(render_text(summary))
    return 0

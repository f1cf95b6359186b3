"""`attscope report FILE -o report.html`: the capture's link health, connections,
violations and GATT databases as one self-contained HTML file with charts."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from attscope.atomic import error_text, exit_on_signals, replaced_on_success
from attscope.capture import open_capture
from attscope.cli.key_args import add_key_arguments, keys_of
from attscope.cli.log_arg import add_log_argument
from attscope.cli.messages import say
from attscope.cli.uuid_file import load_uuid_names
from attscope.dissector.analysis.analysis_records import Violation
from attscope.dissector.analysis.analyzer import Analyzer, Event


def register(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="write an HTML report of the link health, with charts",
        description="Analyse the capture and write one HTML file that needs no network: "
        "each connection's parameters, procedures, air events, throughput, latency, RSSI "
        "and channel charts and why it ended; the violations; the GATT databases.",
    )
    p.add_argument("file")
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="the HTML file (default: the capture's name with .html, in this folder)",
    )
    p.add_argument("--uuid-names", metavar="FILE", help="names for custom UUIDs (as export)")
    add_key_arguments(p)
    add_log_argument(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # here, not at the top: plotly is the slowest import of all, and every command
    # (the TUI's first screen too) would wait for it
    from attscope.report.html_report import MAX_VIOLATIONS, report_parts

    names = load_uuid_names(args.uuid_names)
    reader = open_capture(args.file, args.log)  # an unreadable file: one line and exit 2, in main
    # the analysis streams (no transactions kept): the report needs each connection's
    # record, the first MAX_VIOLATIONS violations and how many there were
    analyzer = Analyzer(retain=False, uuid_names=names, keys=keys_of(args))
    violations: list[Violation] = []
    found = 0
    frames, start = 0, None
    for frame in reader:
        frames += 1
        if start is None:
            start = frame.ts_us
        events = analyzer.feed(frame).events
        if events:
            found += _keep_violations(events, violations, MAX_VIOLATIONS)
    found += _keep_violations(analyzer.finish(), violations, MAX_VIOLATIONS)
    warnings = [*map(str, reader.warnings), *analyzer.limits]
    page = report_parts(
        Path(reader.name).name, f"{reader.format} ({reader.detail})", frames, start or 0,
        analyzer.connections, violations, found, analyzer.gatt_databases.values(), warnings,
    )  # fmt: skip
    output = args.output or f"{Path(args.file).stem}.html"
    try:
        with (
            exit_on_signals(),
            replaced_on_success(output, inputs=[args.file]) as tmp,
            open(tmp, "w", encoding="utf-8") as out,
        ):
            out.writelines(page)
    except OSError as exc:
        say(f"attscope: {output}: {error_text(exc)}")
        return 2
    for w in warnings:
        say(f"attscope: warning: {args.file}: {w}")
    say(f"attscope: wrote {output}")
    return 0


def _keep_violations(events: Sequence[Event], kept: list[Violation], limit: int) -> int:
    """Keep the events' violations up to `limit` (the report's table size); how many
    there were."""
    count = 0
    for event in events:
        if isinstance(event, Violation):
            count += 1
            if len(kept) < limit:
                kept.append(event)
    return count

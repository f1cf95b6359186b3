"""`attscope dump FILE`: one line per frame, like btmon; `--verbose` adds fields and hex."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from attscope.capture import Frame, open_capture
from attscope.cli.key_args import add_key_arguments, keys_of
from attscope.cli.log_arg import add_log_argument
from attscope.cli.messages import say
from attscope.cli.uuid_file import load_uuid_names
from attscope.dissector.analysis.analysis_records import Connection, Transaction, Violation
from attscope.dissector.analysis.analyzer import Analyzer, Event
from attscope.dissector.decoding.decoder import Decoder, Packet
from attscope.dissector.decoding.le_keys import Keys
from attscope.text.analysis_text import (
    connection_lines,
    gatt_lines,
    transaction_line,
    violation_line,
)
from attscope.text.packet_text import field_tree, hexdump, line, record_name

WRITE_BATCH = 1024  # lines per write when dumping a file


def register(sub: Any) -> None:
    p = sub.add_parser(
        "dump",
        help="print every frame decoded, one line each (btmon style)",
        description="Print one line per frame: number, time since the first frame, "
        "connection, direction, layers and a summary of the innermost PDU.",
    )
    p.add_argument("file")
    add_print_options(p)
    p.set_defaults(run=run)


def add_print_options(p: argparse.ArgumentParser) -> None:
    """The options choosing what is printed: shared by `dump` and `live --no-tui`."""
    p.add_argument(
        "-v", "--verbose", action="store_true", help="add each layer's fields and a hex dump"
    )
    what = p.add_argument_group(
        "analysis", "print what the analyzer found instead of frames (any combination)"
    )
    what.add_argument("--transactions", action="store_true", help="ATT transactions")
    what.add_argument("--violations", action="store_true", help="protocol violations")
    what.add_argument("--connections", action="store_true", help="connections and timelines")
    what.add_argument("--gatt", action="store_true", help="GATT databases, at the end")
    what.add_argument(
        "--uuid-names",
        metavar="FILE",
        help="names for custom UUIDs: a JSON object, or lines of 'UUID name' (# comments)",
    )
    add_key_arguments(p)
    add_log_argument(p)


def verbose(packet: Packet, frame: Frame, out: TextIO) -> None:
    for layer in packet.layers:
        out.write(f"    {record_name(layer)}\n")
        for row in field_tree(layer, 3):
            out.write(f"{row}\n")
    for row in hexdump(frame.payload):
        out.write(f"      {row}\n")
    out.write("\n")


def wants_analysis(args: argparse.Namespace) -> bool:
    return bool(args.transactions or args.violations or args.connections or args.gatt)


class FrameLines:
    """`dump`'s frame lines, one frame at a time (a file or a live stream)."""

    def __init__(self, out: TextIO, verbose: bool = False, keys: Keys | None = None) -> None:
        self.out, self.verbose = out, verbose
        self.decoder = Decoder(keys)
        self.start: int | None = None

    def feed(self, frame: Frame) -> None:
        packet = self.decoder.decode(frame)
        if self.start is None:
            self.start = frame.ts_us
        self.out.write(line(packet, self.start) + "\n")
        if self.verbose:
            verbose(packet, frame, self.out)

    def feed_all(self, frames: Iterable[Frame]) -> None:
        """Every frame of a file: the lines written a batch at a time (one write per frame
        is a tenth of a dump's time); verbose output goes frame by frame."""
        if self.verbose:
            for frame in frames:
                self.feed(frame)
            return
        write, decode = self.out.write, self.decoder.decode
        batch: list[str] = []
        for frame in frames:
            if self.start is None:
                self.start = frame.ts_us
            batch.append(line(decode(frame), self.start))
            if len(batch) >= WRITE_BATCH:
                batch.append("")
                write("\n".join(batch))
                batch.clear()
        if batch:
            batch.append("")
            write("\n".join(batch))

    def finish(self) -> None:
        """Nothing is held back: every line was written when its frame came."""


class AnalysisLines:
    """The analyzer's findings as they happen: transactions and violations when found,
    connections when they end, GATT databases at the end."""

    def __init__(
        self, out: TextIO, args: argparse.Namespace, uuid_names: dict[str, str] | None = None
    ) -> None:
        self.out, self.args = out, args
        self.analyzer = Analyzer(retain=False, uuid_names=uuid_names, keys=keys_of(args))
        self.start: int | None = None

    def feed(self, frame: Frame) -> None:
        if self.start is None:
            self.start = frame.ts_us
        events = self.analyzer.feed(frame).events
        if events:
            self._show(events)

    def _show(self, events: Sequence[Event]) -> None:
        args, out, start = self.args, self.out, self.start or 0
        for event in events:
            if isinstance(event, Transaction) and args.transactions:
                out.write(transaction_line(event, start) + "\n")
            elif isinstance(event, Violation) and args.violations:
                out.write(violation_line(event) + "\n")
            elif isinstance(event, Connection) and args.connections and event.end_us:
                out.write("\n".join(connection_lines(event, start)) + "\n")

    def finish(self) -> None:
        self._show(self.analyzer.finish())
        out, start = self.out, self.start or 0
        if self.args.connections:  # those the capture ended in the middle of
            for conn in self.analyzer.connections:
                if conn.end_us is None:
                    out.write("\n".join(connection_lines(conn, start)) + "\n")
        if self.args.gatt:
            for db in self.analyzer.gatt_databases.values():
                out.write("\n".join(gatt_lines(db)) + "\n")


def printer(
    args: argparse.Namespace, out: TextIO, uuid_names: dict[str, str] | None = None
) -> FrameLines | AnalysisLines:
    """What `dump` (and `live --no-tui`) prints for these options."""
    if wants_analysis(args):
        return AnalysisLines(out, args, uuid_names)
    return FrameLines(out, args.verbose, keys_of(args))


def run(args: argparse.Namespace) -> int:
    names = load_uuid_names(args.uuid_names)  # a bad file is an error whatever is printed
    reader = open_capture(args.file, getattr(args, "log", None))
    lines = printer(args, sys.stdout, names)
    if isinstance(lines, FrameLines):
        lines.feed_all(reader)
    else:
        for frame in reader:
            lines.feed(frame)
    lines.finish()
    limits = lines.analyzer.limits if isinstance(lines, AnalysisLines) else []
    for w in [*map(str, reader.warnings), *limits]:
        say(f"attscope: warning: {args.file}: {w}")
    return 0

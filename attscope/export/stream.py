"""One pass over a capture that writes what the analyzer finds as it finds it: PDUs frame
by frame, transactions and violations as they complete, connections when they end, the
GATT databases at the end (they are small), then the `end` record. Memory stays flat
whatever the capture's size (`Analyzer(retain=False)`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import msgspec

from attscope import __version__
from attscope.capture import CaptureReader
from attscope.capture import linktypes as lt
from attscope.dissector.analysis.analysis_records import Connection, Transaction, Violation
from attscope.dissector.analysis.analyzer import Analyzer, Event
from attscope.dissector.decoding.le_keys import Keys
from attscope.export.convert import (
    Clock,
    Namer,
    att_of,
    connection_record,
    packet_pdu,
    transaction_record,
    violation_record,
)
from attscope.export.fail_on import FailOn
from attscope.export.gatt import gatt_records
from attscope.export.records import (
    SCHEMA_ID,
    ExportEnd,
    ExportHeader,
    ExportLinkType,
)
from attscope.export.writer import JsonDocumentWriter, JsonLinesWriter, Writer, tag_of

# what --what can name, in the order the header lists them; each kind's line types
KINDS: dict[str, tuple[str, ...]] = {
    "connections": ("connection",),
    "transactions": ("transaction",),
    "violations": ("violation",),
    "gatt": ("gatt_server", "gatt_service"),
    "pdus": ("pdu",),
}
DEFAULT_KINDS = ("connections", "transactions", "violations", "gatt")
DOCUMENT_ARRAYS = {
    "connections": ["connections"],
    "transactions": ["transactions"],
    "violations": ["violations"],
    "gatt": ["gatt_servers", "gatt_services"],
    "pdus": ["pdus"],
}


def header_for(reader: CaptureReader, kinds: list[str]) -> ExportHeader:
    return ExportHeader(
        schema=SCHEMA_ID,
        tool="attscope",
        version=__version__,
        file=Path(reader.name).name,  # nothing of the machine it ran on
        format=reader.format,
        format_detail=reader.detail,
        link_types=[ExportLinkType(t, lt.name(t)) for t in dict.fromkeys(reader.linktypes)],
        frames=None,  # no format attscope reads says it before the end
        what=kinds,
    )


class Export:
    """The state of one export: what is wanted, what was written, what was found."""

    def __init__(
        self,
        reader: CaptureReader,
        writer: Writer,
        kinds: list[str],
        uuid_names: dict[str, str] | None,
        keys: Keys | None = None,
        fail_on: FailOn | None = None,
    ) -> None:
        self.fail_on = fail_on
        self.reader = reader
        self.writer = writer
        self.kinds = set(kinds)
        self.analyzer = Analyzer(retain=False, uuid_names=uuid_names, keys=keys)
        self.clock = Clock()
        self.names = Namer(uuid_names)
        self.written: Counter[str] = Counter({t: 0 for k in kinds for t in KINDS[k]})
        self.severities: Counter[str] = Counter({"error": 0, "warning": 0})
        self.done: set[str] = set()  # connections written

    def write(self, record: msgspec.Struct) -> None:
        self.writer.write(record)
        self.written[tag_of(record)] += 1

    def events(self, events: Sequence[Event]) -> None:
        kinds, address_of = self.kinds, self.analyzer.address_of
        for event in events:
            if isinstance(event, Transaction):
                if "transactions" in kinds:
                    self.write(transaction_record(event, self.clock, self.names, address_of))
            elif isinstance(event, Violation):
                self.severities[event.severity] += 1
                if self.fail_on is not None:
                    self.fail_on.violation(event)
                if "violations" in kinds:
                    self.write(violation_record(event))
            elif isinstance(event, Connection) and event.end_us is not None:
                self.connection(event)

    def connection(self, conn: Connection) -> None:
        if conn.id not in self.done:
            self.done.add(conn.id)
            if self.fail_on is not None:
                self.fail_on.connection(conn)
            if "connections" in self.kinds:
                self.write(connection_record(conn, self.clock))

    def run(self) -> ExportEnd:
        analyzer = self.analyzer
        feed, events = analyzer.feed, self.events
        frames = 0
        if "pdus" in self.kinds:
            clock, names, write = self.clock, self.names, self.write
            for frame in self.reader:
                frames += 1
                fed = feed(frame)
                packet = fed.packet
                pdu = att_of(packet)
                if pdu is not None:
                    write(packet_pdu(packet, pdu, clock, names))
                if fed.events:
                    events(fed.events)
        else:
            for frame in self.reader:
                frames += 1
                found = feed(frame).events
                if found:
                    events(found)
        events(analyzer.finish())
        for conn in analyzer.connections:  # those the capture ended in the middle of
            self.connection(conn)
        if "gatt" in self.kinds:
            for db in analyzer.gatt_databases.values():
                for record in gatt_records(db, self.clock):
                    self.write(record)
        end = ExportEnd(
            frames=frames,
            records=dict(self.written),
            violations=dict(self.severities),
            warnings=[*map(str, self.reader.warnings), *analyzer.limits],
        )
        self.writer.finish(end)
        return end


def export_capture(
    reader: CaptureReader,
    out: IO[bytes],
    kinds: list[str],
    fmt: str = "jsonl",
    uuid_names: dict[str, str] | None = None,
    spill_dir: str | None = None,
    keys: Keys | None = None,
    fail_on: FailOn | None = None,
) -> ExportEnd:
    """Export `reader`'s capture to `out` as JSON Lines (`fmt` "jsonl") or one JSON
    document ("json"; its arrays wait in temporary files in `spill_dir`); the `end`
    record says what was written and found; `fail_on` checks each connection."""
    header = header_for(reader, kinds)
    writer: Writer
    if fmt == "json":
        arrays = [a for k in kinds for a in DOCUMENT_ARRAYS[k]]
        writer = JsonDocumentWriter(out, header, arrays, spill_dir)
    else:
        writer = JsonLinesWriter(out, header)
    try:
        return Export(reader, writer, kinds, uuid_names, keys, fail_on).run()
    finally:
        writer.close()

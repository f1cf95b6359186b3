"""`e` in the TUI: the current view written as JSON Lines through the export code, with
the same header and end records as `attscope export`, holding only what the view shows."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import msgspec

from attscope import __version__
from attscope.atomic import replaced_on_success
from attscope.capture import linktypes as lt
from attscope.export.convert import (
    Clock,
    Namer,
    att_of,
    connection_record,
    packet_pdu,
    transaction_record,
    violation_record,
)
from attscope.export.gatt import gatt_records
from attscope.export.records import SCHEMA_ID, ExportEnd, ExportHeader, ExportLinkType
from attscope.export.writer import JsonLinesWriter, tag_of
from attscope.tui.model import CaptureModel
from attscope.tui.views import PacketScanner, View

KINDS = {
    "connections": "connections",
    "flow": "pdus",
    "packets": "pdus",
    "transactions": "transactions",
    "violations": "violations",
    "gatt": "gatt",
}


def exportable(active: str) -> bool:
    """Whether a panel's records have a place in the export schema (devices heard
    advertising have none)."""
    return active in KINDS


def export_view(
    model: CaptureModel,
    active: str,
    view: View | None,
    connection: str | None,
    path: str,
    info: dict[str, Any],
) -> int:
    """Write the records of one view; returns how many (header and end aside)."""
    kind = KINDS[active]
    header = ExportHeader(
        schema=SCHEMA_ID,
        tool="attscope",
        version=__version__,
        file=Path(str(info.get("path", model.name))).name,
        format=str(info.get("format", "live")),
        format_detail=str(info.get("detail", "")),
        link_types=[ExportLinkType(t, lt.name(t)) for t in info.get("linktypes", [])],
        frames=len(model.frames),
        what=[kind],
    )
    clock, names = Clock(), Namer(model.uuid_names)
    live = {c.id: c for c in model.connections()}

    def address_of(conn_id: str, side: str) -> str | None:
        conn = live.get(conn_id)
        return conn.address_of(side) if conn is not None else None

    written: Counter[str] = Counter()
    with replaced_on_success(path) as temporary, open(temporary, "wb") as out:
        writer = JsonLinesWriter(out, header)

        def write(record: msgspec.Struct) -> None:
            writer.write(record)
            written[tag_of(record)] += 1

        if kind == "connections":
            for conn in live.values():
                if connection is None or conn.id == connection:
                    write(connection_record(conn, clock))
        elif kind == "gatt":
            for db in model.gatt_databases():
                if connection is None or connection in db.connections:
                    with model.lock:
                        for record in gatt_records(db, clock):
                            write(record)
        elif kind == "transactions" and view is not None:
            for i in range(len(view)):
                txn = model.transactions[view[i]]
                write(transaction_record(txn, clock, names, address_of))
        elif kind == "violations" and view is not None:
            for i in range(len(view)):
                write(violation_record(model.violations[view[i]]))
        elif view is not None:
            frames = (
                (model.flows[view[i]].frame - 1 for i in range(len(view)))
                if active == "flow"
                else (view[i] for i in range(len(view)))
            )
            scanner = PacketScanner(model)
            for position in frames:
                packet = scanner.packet(position)
                pdu = att_of(packet)
                if pdu is not None:
                    write(packet_pdu(packet, pdu, clock, names))
        severities = Counter(model.violations[i].severity for i in range(len(model.violations)))
        writer.finish(
            ExportEnd(
                frames=len(model.frames),
                records=dict(written),
                violations={"error": severities["error"], "warning": severities["warning"]},
                warnings=list(model.warnings),
            )
        )
    return sum(written.values())

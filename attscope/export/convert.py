"""The analyzer's records turned into export records (records.py): bytes to hex,
times to microseconds and ISO 8601, codes and UUIDs to names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from attscope.capture.frame import Direction
from attscope.capture.summary import iso_time
from attscope.dissector.analysis.analysis_records import Connection, Side, Transaction, Violation
from attscope.dissector.analysis.connections import SIDE_OF
from attscope.dissector.decoding.att_errors import error_name
from attscope.dissector.decoding.att_pdus import AttPdu, AttUnknown, opcode_name
from attscope.dissector.decoding.decoder import Packet
from attscope.dissector.decoding.ll_encryption import LinkSecurity
from attscope.dissector.decoding.pdu import Malformed
from attscope.dissector.decoding.uuid_names import normalize_names, uuid_name
from attscope.export.health_convert import health_record, latency_records
from attscope.export.records import Direction as ExportDirection
from attscope.export.records import (
    ExportAttBearer,
    ExportConnection,
    ExportEntry,
    ExportExchange,
    ExportFoundKey,
    ExportHandleValue,
    ExportPairing,
    ExportPdu,
    ExportSecurity,
    ExportTimelineEntry,
    ExportTransaction,
    ExportViolation,
)

SPEC = "Core 5.4"  # the specification the violations' rules cite
DIRECTION_NAMES: dict[Direction, ExportDirection] = {
    d: cast(ExportDirection, d.name.lower()) for d in Direction
}
SIDE_DIRECTION: dict[Side, ExportDirection] = {
    SIDE_OF[d]: name for d, name in DIRECTION_NAMES.items()
}


class Clock:
    """ISO 8601 text of a time in microseconds, equal to `iso_time` but quicker: the date
    and time of day are worked out once per second, not once per record."""

    def __init__(self) -> None:
        self._second: int | None = None
        self._prefix = ""
        self._last: tuple[int, str] = (0, iso_time(0))  # a transaction asks twice

    def __call__(self, ts_us: int) -> str:
        last = self._last
        if last[0] == ts_us:
            return last[1]
        second, micros = divmod(ts_us, 1_000_000)
        if second != self._second:
            text = iso_time(second * 1_000_000)
            if not text.endswith(".000000Z"):  # outside the calendar: say it as iso_time does
                return iso_time(ts_us)
            self._second, self._prefix = second, text[:-8]
        text = f"{self._prefix}.{micros:06d}Z"
        self._last = (ts_us, text)
        return text


# -- PDUs ----------------------------------------------------------------------------------

FieldRule = Callable[[Any, dict[str, Any], "Namer"], None]


class Namer:
    """UUID names: the user's first, then the Bluetooth SIG's."""

    def __init__(self, custom: dict[str, str] | None = None) -> None:
        self.custom = normalize_names(custom)

    def __call__(self, uuid: str) -> str | None:
        return uuid_name(uuid, self.custom)


def _same(key: str) -> FieldRule:
    def rule(value: Any, out: dict[str, Any], names: Namer) -> None:
        out[key] = value

    return rule


def _hex(key: str) -> FieldRule:
    def rule(value: Any, out: dict[str, Any], names: Namer) -> None:
        out[key] = value.hex()

    return rule


def _uuid(value: Any, out: dict[str, Any], names: Namer) -> None:
    uuid = f"{value:04x}" if isinstance(value, int) else value  # Find By Type Value: 16 bits
    out["uuid"], out["uuid_name"] = uuid, names(uuid)


def _error(value: Any, out: dict[str, Any], names: Namer) -> None:
    out["error_code"], out["error_name"] = value, error_name(value)


def _request(value: Any, out: dict[str, Any], names: Namer) -> None:
    out["request_opcode"], out["request_opcode_name"] = value, op_name(value)


_OPCODE_NAMES: dict[int, str] = {}


def op_name(opcode: int) -> str:
    """`opcode_name`, remembered (it goes through an enum)."""
    name = _OPCODE_NAMES.get(opcode)
    if name is None:
        name = _OPCODE_NAMES[opcode] = opcode_name(opcode)
    return name


def _entries(value: Any, out: dict[str, Any], names: Namer) -> None:
    out["entries"] = [_entry(e, names) for e in value]


def _skip(value: Any, out: dict[str, Any], names: Namer) -> None:
    """Implied by other fields: a list's format or entry length, an unknown PDU's opcode."""


# every field name of an ATT PDU record: where it goes in ExportPdu
PDU_FIELDS: dict[str, FieldRule] = {
    "handle": _same("handle"),
    "start_handle": _same("start_handle"),
    "end_handle": _same("end_handle"),
    "handles": _same("handles"),
    "offset": _same("offset"),
    "flags": _same("flags"),
    "client_rx_mtu": _same("mtu"),
    "server_rx_mtu": _same("mtu"),
    "value": _hex("value"),
    "values": _hex("value"),
    "signature": _hex("signature"),
    "params": _skip,  # an unknown opcode's parameters: in `raw`
    "attribute_type": _uuid,
    "group_type": _uuid,
    "error_code": _error,
    "request_opcode": _request,
    "entries": _entries,
    "format": _skip,
    "length": _skip,
    "opcode": _skip,
}


def _entry(entry: Any, names: Namer) -> ExportEntry:
    uuid = getattr(entry, "uuid", None)
    value = getattr(entry, "value", None)
    return ExportEntry(
        handle=getattr(entry, "handle", None),
        end_handle=getattr(entry, "end_group_handle", None),
        uuid=uuid,
        uuid_name=names(uuid) if uuid is not None else None,
        length=getattr(entry, "length", None),
        value=value.hex() if value is not None else None,
    )


def pdu_record(
    pdu: AttPdu | Malformed,
    frame: int,
    connection: str | None,
    sender: Side,
    names: Namer,
    **extra: Any,
) -> ExportPdu:
    """An ATT PDU (or ATT bytes that form none) as an export record; `extra` adds the
    frame's time, bearer and fragments."""
    fields: dict[str, Any] = extra
    if isinstance(pdu, Malformed):
        opcode = pdu.raw[0] if pdu.raw else None
        fields["malformed"], fields["raw"] = pdu.reason, pdu.raw.hex()
    else:
        opcode = pdu.opcode
        for name, rule in _plan(type(pdu)):
            rule(getattr(pdu, name), fields, names)
        if isinstance(pdu, AttUnknown):  # its bytes as they came
            fields["raw"] = pdu.to_bytes().hex()
    return ExportPdu(
        frame=frame,
        connection=connection,
        direction=SIDE_DIRECTION.get(sender, "unknown"),
        sender=sender,
        layer="att",
        opcode=opcode,
        opcode_name=op_name(opcode) if opcode is not None else None,
        **fields,
    )


_PLANS: dict[type[AttPdu], tuple[tuple[str, FieldRule], ...]] = {}


def _plan(cls: type[AttPdu]) -> tuple[tuple[str, FieldRule], ...]:
    """The fields of a PDU class that go into the export, with their rules; made once."""
    plan = _PLANS.get(cls)
    if plan is None:
        fields = cls.__struct_fields__
        plan = _PLANS[cls] = tuple((f, PDU_FIELDS[f]) for f in fields if f in PDU_FIELDS)
    return plan


def att_of(packet: Packet) -> AttPdu | Malformed | None:
    """The ATT PDU a frame completed, or ATT bytes that form none; else None."""
    layers = packet.layers
    if not layers:
        return None
    pdu = layers[-1]
    if isinstance(pdu, AttPdu) or (isinstance(pdu, Malformed) and pdu.layer == "att"):
        return pdu
    return None


def _text(link: str | None) -> str | None:
    """A link's name as plain text (a `Link` is a str subclass that msgspec does not encode)."""
    return None if link is None else str(link)


def packet_pdu(packet: Packet, pdu: AttPdu | Malformed, clock: Clock, names: Namer) -> ExportPdu:
    """A frame's ATT PDU as a `pdu` line."""
    extra: dict[str, Any] = {"time_us": packet.ts_us, "time": clock(packet.ts_us)}
    if packet.cid is not None:
        extra["bearer"] = packet.cid
    if packet.fragments:
        extra["fragments"] = list(packet.fragments)
    return pdu_record(
        pdu, packet.frame, _text(packet.connection), SIDE_OF[packet.direction], names, **extra
    )


# -- analysis records ----------------------------------------------------------------------

AddressOf = Callable[[str, str], "str | None"]  # (connection id, side) -> address


def transaction_record(
    txn: Transaction, clock: Clock, names: Namer, address_of: AddressOf
) -> ExportTransaction:
    asker = txn.server if txn.kind == "indication" else txn.client
    request_frame = txn.request_frame
    request_time: dict[str, Any] = {}
    if txn.kind == "queued_write":  # the request kept is the Execute Write's
        request_frame = txn.exchanges[-1].request_frame if txn.exchanges else request_frame
    else:
        request_time = {"time_us": txn.start_us, "time": clock(txn.start_us)}
    request = pdu_record(
        txn.request, request_frame, txn.connection, asker, names,
        bearer=txn.bearer, **request_time,
    )  # fmt: skip
    response = None
    if txn.response is not None and txn.response_frame is not None:
        answerer = txn.client if txn.kind == "indication" else txn.server
        when = {} if txn.end_us is None else {"time_us": txn.end_us, "time": clock(txn.end_us)}
        response = pdu_record(
            txn.response, txn.response_frame, txn.connection, answerer, names,
            bearer=txn.bearer, **when,
        )  # fmt: skip
    values = txn.values
    return ExportTransaction(
        connection=txn.connection,
        bearer=txn.bearer,
        client=txn.client,
        server=txn.server,
        client_address=address_of(txn.connection, txn.client),
        server_address=address_of(txn.connection, txn.server),
        kind=txn.kind,
        request_frame=txn.request_frame,
        response_frame=txn.response_frame,
        frames=list(txn.frames),
        start_us=txn.start_us,
        start=clock(txn.start_us),
        end_us=txn.end_us,
        end=clock(txn.end_us) if txn.end_us is not None else None,
        latency_us=txn.latency_us,
        outcome=txn.outcome,
        error_code=txn.error_code,
        error_name=txn.error_name,
        capture_gap=txn.capture_gap,
        clock_jump=txn.clock_jump,
        handle=txn.handle,
        service_uuid=txn.service_uuid,
        service_name=txn.service_name,
        characteristic_uuid=txn.characteristic_uuid,
        characteristic_name=txn.characteristic_name,
        descriptor_uuid=txn.descriptor_uuid,
        descriptor_name=txn.descriptor_name,
        value=txn.value.hex() if txn.value is not None else None,
        value_decoded=txn.decoded,
        values=None
        if values is None
        else [ExportHandleValue(h, v.hex()) for h, v in sorted(values.items())],
        exchanges=[ExportExchange(e.request_frame, e.response_frame) for e in txn.exchanges],
        request=request,
        response=response,
    )


def violation_record(found: Violation) -> ExportViolation:
    pending = found.pending_opcode
    return ExportViolation(
        kind=found.kind,
        severity=found.severity,
        connection=found.connection,
        bearer=found.bearer,
        frames=list(found.frames),
        pending_opcode=pending,
        pending_opcode_name=op_name(pending) if pending is not None else None,
        message=found.message,
        rule=found.rule,
        spec=f"{SPEC} {found.spec}",
    )


def connection_record(conn: Connection, clock: Clock) -> ExportConnection:
    end = conn.end_us
    return ExportConnection(
        id=conn.id,
        transport=conn.transport,
        inferred=conn.inferred,
        handle=conn.handle,
        adapter=conn.adapter,
        access_address=conn.access_address,
        local_role=conn.local_role,
        local_address=conn.local_address,
        peer_address=conn.peer_address,
        peer_address_type=conn.peer_address_type,
        central_address=conn.central_address,
        peripheral_address=conn.peripheral_address,
        start_us=conn.start_us,
        start=clock(conn.start_us),
        first_frame=conn.first_frame,
        end_us=end,
        end=clock(end) if end is not None else None,
        last_frame=conn.last_frame,
        disconnect_reason=conn.disconnect_reason,
        missed_events=conn.missed_events,
        parameters=dict(conn.parameters),
        bearers=[
            ExportAttBearer(b.cid, b.eatt, b.mtu, b.mtu_source, b.mtu_frame, b.largest_pdu)
            for b in conn.bearers
        ],
        timeline=[
            ExportTimelineEntry(e.frame, e.ts_us, clock(e.ts_us), e.kind, e.detail)
            for e in conn.timeline
        ],
        timeline_dropped=conn.timeline_dropped,
        security=security_record(conn.security) if conn.security is not None else None,
        identities=dict(conn.identities),
        latency=latency_records(conn.latency),
        health=health_record(conn.health, clock) if conn.health is not None else None,
    )


def security_record(security: LinkSecurity) -> ExportSecurity:
    pairing, key = security.pairing, security.decrypted_with
    paired = None
    if pairing is not None:
        stk = pairing.stk.hex() if pairing.stk is not None else None
        paired = ExportPairing(
            pairing.secure_connections, pairing.method, pairing.initiator_io,
            pairing.responder_io, pairing.bonding, pairing.key_size, pairing.tk, stk,
            pairing.failed, pairing.ltk.hex() if pairing.ltk is not None else None,
            pairing.debug_key,
        )  # fmt: skip
    return ExportSecurity(
        pairing=paired,
        encrypted=security.encrypted,
        key=key.key.hex() if key is not None else None,
        key_source=key.source if key is not None else None,
        key_order=key.order if key is not None else None,
        key_frame=key.frame if key is not None else None,
        decrypted_pdus=security.decrypted_pdus,
        sniffer_decrypted_pdus=security.sniffer_decrypted_pdus,
        ciphertext_pdus=security.ciphertext_pdus,
        mic_failures=security.mic_failures,
        damaged_pdus=security.damaged_pdus,
        not_decrypted=security.why,
        keys_found=[ExportFoundKey(k.key.hex(), k.what, k.frame) for k in security.keys_found],
    )

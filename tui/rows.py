"""One line of text per row of each view, as Rich `Text` built piece by piece.

Nothing from a capture is ever parsed as markup: pieces are appended as plain text with a
style, and control characters (ANSI escapes included) are shown as escapes first.
"""

from __future__ import annotations

from rich.text import Text

from attscope.capture.printable import printable
from attscope.dissector.analysis.advertisers import Advertiser
from attscope.dissector.analysis.analysis_records import (
    CENTRAL,
    LOCAL,
    OTHER_SIDE,
    UNKNOWN_SIDE,
    Connection,
    Transaction,
    Violation,
)
from attscope.dissector.decoding.ad_structures import appearance_name, company_text
from attscope.dissector.decoding.att_errors import ends_procedure
from attscope.dissector.decoding.att_pdus import opcode_title
from attscope.dissector.decoding.decoder import Packet
from attscope.dissector.decoding.ll_encryption import LinkSecurity
from attscope.text.analysis_text import hex_preview, latency_text
from attscope.text.packet_text import arrow, layer_names, summary
from attscope.tui.model import CaptureModel, FlowRecord
from attscope.tui.time_axis import ConnectionStarts, TimeAxis

ERROR = "bold red"
WARNING = "yellow"
VIOLATION = "bold white on dark_red"
DIM = "dim"
CLIENT = "cyan"
SERVER = "green"


def safe(text: str) -> str:
    """What is not printable (controls, bidirectional and other format characters) as
    visible escapes, so it cannot drive the terminal or reorder the row, as the command
    line and the export show it."""
    return printable(text)


def seconds(model: CaptureModel, ts_us: int) -> str:
    return f"{(ts_us - (model.first_ts or ts_us)) / 1e6:.6f}"


# -- packets --------------------------------------------------------------------------------


def packet_header(model: CaptureModel) -> str:
    clock = model.clock
    return (
        f"{'frame':>7} {clock.label:>{clock.width}} {'connection':<10} {'dir':<4} layers: summary"
    )


def packet_row(
    model: CaptureModel,
    packet: Packet,
    previous_us: int | None = None,
    starts: ConnectionStarts | None = None,
) -> Text:
    """A frame; `previous_us` the time of the row above, `starts` the connections' (for
    the time modes that need them)."""
    text = summary(packet.pdu) if packet.layers else "(no packet)"
    if packet.fragments:
        text += f" [reassembled from frames {', '.join(map(str, packet.fragments))}]"
    row = Text(no_wrap=True)
    when = model.time_text(packet.ts_us, previous_us, packet.connection, starts)
    row.append(f"{packet.frame:>7} {when:>{model.clock.width}} ")
    row.append(f"{safe(packet.connection or '-'):<10} {arrow(packet):<4} ")
    layers = layer_names(packet)
    style = ERROR if "malformed" in layers or "Error Response" in text else ""
    row.append(f"{safe(layers)}: {safe(text)}", style)
    if packet.frame in model.violation_frames:
        row.stylize(VIOLATION, 0, 7)
    return row


# -- flow (ladder) --------------------------------------------------------------------------


# the sides drawn on the ladder's left: an HCI log's own host, an air capture's central
LEFT_SIDES = frozenset({LOCAL, CENTRAL})
MAX_CONNECTION_WIDTH = 26


def connection_width(model: CaptureModel) -> int:
    """A column wide enough for every connection id (never cut: two ids that differ only
    at the end would look alike), within reason, and for its heading ("conn")."""
    ids = model.connection_ids
    return max(4, min(MAX_CONNECTION_WIDTH, max(len(i) for i in ids))) if ids else 10


def flow_connection_column(model: CaptureModel, focused: Connection | None) -> int:
    """The width of the Flow's connection column: none when one connection is shown."""
    return connection_width(model) if focused is None and len(model.connection_ids) > 1 else 0


def flow_header(
    model: CaptureModel, connection: Connection | None, width: int, conn_col: int = 0
) -> Text:
    if connection is not None:
        kinds = {connection.transport == "le air"}
    else:  # every connection: the sides of the links the capture holds
        kinds = set(model.link_kinds())
    left, right = ("central", "peripheral") if kinds == {True} else ("local (this host)", "remote")
    if len(kinds) > 1:
        left, right = "local or central", "remote or peripheral"
    if connection is not None:
        left_addr = connection.central_address or connection.local_address or ""
        right_addr = connection.peripheral_address or connection.peer_address or ""
        left = f"{left} {left_addr}".strip()
        right = f"{right} {right_addr}".strip()
    span = _flow_span(model, width, conn_col)
    head = Text(no_wrap=True)
    head.append(f"{model.clock.label:>{model.clock.width}} ")
    if conn_col:
        head.append(f"{'conn':<{conn_col}} ", "bold")
    head.append(f"{safe(left)[: span // 2]:<{span // 2}}", "bold")
    head.append(f"{safe(right)[: span - span // 2]:>{span - span // 2}}", "bold")
    head.append(f" {'latency':>10}")
    return head


_FLOW_HEX = 8  # value bytes shown in hex on a flow arrow


def _flow_span(model: CaptureModel, width: int, conn_col: int) -> int:
    """Between the two lifelines: what the time, the latency and a scrollbar leave."""
    return max(20, min(110, width - model.clock.width - 16 - conn_col))


def _flow_label(model: CaptureModel, record: FlowRecord) -> str:
    title = opcode_title(record.opcode)
    parts = [title]
    server = record.side if record.role == "server" else OTHER_SIDE.get(record.side, record.side)
    if record.about >= 0:  # a Read Response carries no handle: the name of what was read
        name = model.attribute_name(record.connection, server, record.about)
        handle = f"0x{record.handle:04x}" if record.handle >= 0 else ""
        parts.append(" ".join(filter(None, [handle, name])))
    elif record.handle >= 0:
        parts.append(f"0x{record.handle:04x}")
    if record.error:  # the error's name first: a narrow arrow keeps it
        request, _, why = record.error.partition(": ")
        parts = [f"{title}: {why}" + (" (the end)" if record.expected else "")]
        if record.handle >= 0:
            name = model.attribute_name(record.connection, server, record.handle)
            parts.append(" ".join(filter(None, [f"0x{record.handle:04x}", name])))
        parts.append(f"to {request}")
        return safe(" ".join(parts))
    if record.decoded:  # with the value's real length: a decoding may show less
        parts.append(f"{record.decoded} ({_length(record.value_len)})")
    elif record.value_len:  # the whole value's length: only the first bytes are kept
        shown = record.value[:_FLOW_HEX].hex(" ")
        if record.value_len > _FLOW_HEX:
            shown += f" ... ({record.value_len} bytes)"
        parts.append(shown)
    return safe(" ".join(filter(None, parts)))


def _length(n: int) -> str:
    return f"{n} byte" if n == 1 else f"{n} bytes"


def flow_row(
    model: CaptureModel,
    record: FlowRecord,
    width: int,
    conn_col: int = 0,
    previous_us: int | None = None,
    starts: ConnectionStarts | None = None,
) -> Text:
    """Time, the connection when several are shown (`conn_col` wide), an arrow from the
    sender's lifeline to the receiver's with the PDU on it, and the latency on answers.
    The local host or the central is on the left; C or S at the tail says the sender's
    ATT role."""
    span = _flow_span(model, width, conn_col)
    side = record.side
    rightward = side in LEFT_SIDES or (side == UNKNOWN_SIDE and record.role == "client")
    role = "C" if record.role == "client" else "S"
    label = _flow_label(model, record)
    inner = span - 6
    if len(label) > inner:
        label = label[: inner - 1] + "…"
    fill = "─" * (inner - len(label))
    arrow = f"{role} {label} {fill}▶" if rightward else f"◀{fill} {label} {role}"
    style = CLIENT if record.role == "client" else SERVER
    if record.error:
        style = DIM if record.expected else ERROR
    row = Text(no_wrap=True)
    conn_id = model.connection_ids[record.connection]
    when = model.time_text(record.ts_us, previous_us, conn_id, starts)
    row.append(f"{when:>{model.clock.width}} ")
    if conn_col:
        row.append(f"{safe(conn_id):<{conn_col}} ")
    row.append("│")
    row.append(f"{arrow:<{span - 2}}", style)
    row.append("│")
    latency = latency_text(record.latency_us) if record.latency_us >= 0 else ""
    row.append(f" {latency:>10}", DIM)
    if record.frame in model.violation_frames:
        row.append(" !", VIOLATION)
    return row


# -- transactions ---------------------------------------------------------------------------


def _wide(width: int) -> bool:
    return width >= 120  # room for the connection and who asked whom


class _Columns:
    """The Transactions columns for a width: they give way in order of importance (who
    asked whom and the connection first, then the characteristic's name and the handle),
    keeping the time, kind, outcome, latency and the value or error; wide terminals widen
    the name."""

    def __init__(self, width: int) -> None:
        self.who = _wide(width)
        self.handle = width >= 100
        self.kind = 18 if width >= 100 else 12
        if width >= 160:
            self.name = min(48, 22 + (width - 160) // 2)
        elif self.who:
            self.name = 22
        else:
            self.name = max(0, min(22, width - 88)) if self.handle else 0  # the value first


def transaction_header(
    width: int,
    conn_col: int = 8,
    sort: str = "time",
    descending: bool = False,
    clock: TimeAxis | None = None,
) -> str:
    """The column names, the sorted one marked with its direction (▲ ascending)."""

    def label(name: str, key: str) -> str:
        return f"{name}{'▼' if descending else '▲'}" if key == sort else name

    cols = _Columns(width)
    who = f"{'conn':<{conn_col}} {'client→server':<19} " if cols.who else ""
    clock = clock or TimeAxis()
    handle = f"{label('handle', 'handle'):<6} " if cols.handle else ""
    name = f"{'name':<{cols.name}} " if cols.name else ""
    return (
        f"  {label(clock.label, 'time'):>{clock.width}} {who}{'kind':<{cols.kind}} {handle}"
        f"{name}{label('outcome', 'outcome'):<10} {label('latency', 'latency'):>9}  value"
    )


_OUTCOME_STYLE = {"ok": SERVER, "error": ERROR, "timeout": ERROR, "cancelled": WARNING,
                  "incomplete": WARNING, "encrypted": WARNING, "cut": WARNING}  # fmt: skip


def transaction_row(
    model: CaptureModel,
    txn: Transaction,
    expanded: bool | None,
    width: int = 160,
    previous_us: int | None = None,
    starts: ConnectionStarts | None = None,
) -> Text:
    mark = " " if expanded is None else ("▾" if expanded else "▸")
    name = txn.characteristic_name or txn.descriptor_name or txn.characteristic_uuid or ""
    handle = f"0x{txn.handle:04x}" if txn.handle is not None else ""
    outcome: str = txn.outcome if txn.error_name is None else "error"
    if txn.capture_gap:
        outcome += "*"
    value = txn.decoded or (hex_preview(txn.value, 12) if txn.value else "")
    if txn.decoded and txn.value is not None:
        value += f" ({_length(len(txn.value))})"
    expected = expected_end(txn)
    if txn.error_name:
        value = txn.error_name + (" (the end)" if expected else "")
    row = Text(no_wrap=True)
    when = model.time_text(txn.start_us, previous_us, txn.connection, starts)
    row.append(f"{mark} {when:>{model.clock.width}} ")
    cols = _Columns(width)
    if cols.who:
        conn_col = connection_width(model)
        row.append(
            f"{safe(txn.connection):<{conn_col}} {safe(txn.client + '→' + txn.server)[:19]:<19} "
        )
    row.append(f"{txn.kind[: cols.kind]:<{cols.kind}} ")
    if cols.handle:
        row.append(f"{handle:<6} ")
    if cols.name:
        row.append(f"{safe(name)[: cols.name]:<{cols.name}} ")
    style = DIM if expected else _OUTCOME_STYLE.get(txn.outcome, "")
    row.append(f"{outcome:<10}", style)
    row.append(f" {latency_text(txn.latency_us):>9}  ")
    row.append(safe(value), DIM if expected else ERROR if txn.error_name else "")
    if any(f in model.violation_frames for f in txn.frames):
        row.stylize(VIOLATION, 0, 1)
    return row


def expected_end(txn: Transaction) -> bool:
    """An error that ends a discovery or long read as the specification means it to."""
    code = txn.error_code
    return code is not None and ends_procedure(txn.request.opcode, code)


def exchange_row(number: int, request: int, response: int | None) -> Text:
    answer = f"-> frame {response}" if response is not None else "(no answer)"
    return Text(f"      exchange {number}: frame {request} {answer}", DIM, no_wrap=True)


# -- violations -----------------------------------------------------------------------------

VIOLATION_HEADER = f"  {'severity':<8} {'kind':<28} {'count':>5} {'frames':<16} message"


def violation_row(found: Violation, count: int = 1, expanded: bool | None = None) -> Text:
    """A violation; the first of a group of `count` like it (`expanded`: its members
    shown below it, None: a group of one)."""
    frames = ",".join(map(str, found.frames))
    mark = " " if expanded is None else ("▾" if expanded else "▸")
    row = Text(no_wrap=True)
    row.append(f"{mark} ")
    row.append(f"{found.severity.upper():<8}", ERROR if found.severity == "error" else WARNING)
    row.append(f" {found.kind[:28]:<28} {count:>5} {frames[:16]:<16} {safe(found.message)}")
    return row


def violation_member_row(found: Violation) -> Text:
    """One violation of an opened group."""
    frames = ",".join(map(str, found.frames))
    return Text(f"{'':<45} {frames[:16]:<16} {safe(found.message)}", DIM, no_wrap=True)


# -- connections ----------------------------------------------------------------------------


def _address_width(width: int) -> int:
    return max(17, min(40, width - 64))


def connection_header(width: int, conn_col: int = 12) -> str:
    return (
        f"{'connection':<{conn_col}} {'link':<7} {'addresses':<{_address_width(width)}} "
        f"{'local is':<10} {'duration':>9} {'txns':>6} {'errors':>6} {'viol.':>5}  name"
    )


def connection_row(model: CaptureModel, conn: Connection | None, width: int = 120) -> Text:
    """`width` decides the addresses: both ends where there is room, else the peer."""
    """A connection with its counts; None: the "all connections" row."""
    if conn is None:
        totals = model.totals()
        row = Text(no_wrap=True)
        span = _address_width(width)
        conn_col = max(12, connection_width(model))
        row.append(f"{'(all)':<{conn_col}} {'':<7} {'all connections':<{span}} {'':<10} {'':>9} ",
                   "bold")  # fmt: skip
        row.append(f"{totals.transactions:>6} {totals.errors:>6} {totals.violations:>5}")
        return row
    counts = model.counts.get(conn.id)
    span = _address_width(width)
    if conn.peer_address:
        addresses = f"peer {conn.peer_address}"
        if conn.local_address and len(conn.local_address) + len(conn.peer_address) + 3 <= span:
            addresses = f"{conn.local_address} ↔ {conn.peer_address}"
        elif span < len(addresses):
            addresses = conn.peer_address  # the peer is who the user came for
    elif conn.central_address or conn.peripheral_address:
        addresses = f"{conn.central_address or '?'} → {conn.peripheral_address or '?'}"
        if len(addresses) > span and conn.peripheral_address:
            addresses = f"→ {conn.peripheral_address}"  # the device the sniffer followed
    else:
        addresses = "addresses unknown"
    if conn.inferred:
        addresses += " (inferred)"
    end = conn.end_us if conn.end_us is not None else None
    duration = f"{(end - conn.start_us) / 1e6:.1f} s" if end is not None else "open"
    role = conn.local_role or ("(sniffer)" if conn.access_address is not None else "")
    row = Text(no_wrap=True)
    row.append(f"{safe(conn.id):<{max(12, connection_width(model))}} {conn.transport:<7} ")
    row.append(f"{safe(addresses)[:span]:<{span}} ")
    row.append(f"{role[:10]:<10} {duration:>9} ")
    if counts is None:
        row.append(f"{0:>6} {0:>6} {0:>5}")
        return row
    row.append(f"{counts.transactions:>6} ")
    row.append(f"{counts.errors:>6}", ERROR if counts.errors else "")
    row.append(f" {counts.violations:>5}", VIOLATION if counts.violations else "")
    return row


# -- security of each link ------------------------------------------------------------------


def security_header(width: int, conn_col: int = 12) -> str:
    return (
        f"{'connection':<{conn_col}} {'pairing':<32} {'encrypted':<9} {'decrypted':>9} "
        f"{'unread':>6} {'keys':>4}  state"
    )


def security_row(model: CaptureModel, conn: Connection) -> Text:
    """A link's security in one line: how it paired, how much was decrypted, and what
    is missing."""
    security = conn.security
    assert security is not None
    pairing = security.pairing
    if pairing is None:
        paired = "not in the capture"
    else:
        kind = "LE Secure Connections" if pairing.secure_connections else "legacy"
        paired = f"{kind}, {pairing.method}"
    decrypted = security.decrypted_pdus + security.sniffer_decrypted_pdus
    state, style = security_state(security)
    row = Text(no_wrap=True)
    row.append(f"{safe(conn.id):<{max(12, connection_width(model))}} {paired[:32]:<32} ")
    row.append(f"{'yes' if security.encrypted else 'no':<9} {decrypted:>9} ")
    row.append(f"{security.ciphertext_pdus:>6}", ERROR if security.ciphertext_pdus else "")
    row.append(f" {len(security.keys_found):>4}  ")
    row.append(safe(state), style)
    return row


def security_state(security: LinkSecurity) -> tuple[str, str]:
    """What matters most about a link's security, and the style to show it in."""
    pairing = security.pairing
    if pairing is not None and pairing.debug_key is not None:
        return "debug key pair: no protection", ERROR
    if security.ciphertext_pdus:
        return security.why or "not decrypted", WARNING
    if pairing is not None and pairing.failed:
        return pairing.failed, WARNING
    key = security.decrypted_with
    if key is not None:
        return f"decrypted with {key.source}", ""
    if security.sniffer_decrypted_pdus:
        return "decrypted by the sniffer", ""
    return ("encrypted" if security.encrypted else "in the clear"), DIM


# -- devices heard advertising ----------------------------------------------------------------


def device_header(width: int) -> str:
    return (
        f"{'address':<17} {'type':<6} {'name':<20} {'rssi':>4} {'best':>4} {'packets':>8} "
        f"{'seen (s)':>9}  kind, company, services"
    )


def device_row(model: CaptureModel, device: Advertiser) -> Text:
    row = Text(no_wrap=True)
    row.append(f"{device.address:<17} {device.address_type:<6} ")
    name = safe(device.name or "")[:20]
    row.append(f"{name:<20} ", "bold" if name else "")
    rssi = "" if device.rssi is None else str(device.rssi)
    best = "" if device.best_rssi is None else str(device.best_rssi)
    row.append(f"{rssi:>4} {best:>4} {device.packets:>8} {seconds(model, device.last_us):>9}  ")
    row.append(safe(", ".join(device_about(model, device))), DIM if not device.connectable else "")
    return row


def device_about(model: CaptureModel, device: Advertiser) -> list[str]:
    """What a device's adverts say of it: connectable, appearance, company, services."""
    about = ["connectable" if device.connectable else "not connectable"]
    if device.identity is not None:
        about.append(f"resolves to {device.identity}")
    if device.appearance is not None:
        about.append(appearance_name(device.appearance) or f"appearance 0x{device.appearance:04x}")
    if device.company_id is not None:
        about.append(company_text(device.company_id))
    if device.tx_power is not None:
        about.append(f"tx {device.tx_power} dBm")
    about += [model.uuid_name(u) for u in device.services]
    return about


def device_text(model: CaptureModel, device: Advertiser) -> str:
    """Everything the filter bar's words are matched against, in lower case: the row's
    text with the whole name, the service UUIDs as well as their names, the PDU types."""
    words = [device.address, device.address_type, device.name or "", *device.pdu_types,
             device.identity or ""]  # fmt: skip
    words += device_about(model, device) + device.services
    return safe(" ".join(words)).lower()

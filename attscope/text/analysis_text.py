"""Text for what the analyzer reports (transactions, violations, connections), shared by
`attscope dump` and the TUI. Values from captures are formatted, never interpreted."""

from __future__ import annotations

from attscope.dissector.analysis.analysis_records import (
    AttBearerInfo,
    Connection,
    LatencyStats,
    Transaction,
    Violation,
)
from attscope.dissector.analysis.gatt_db import GattDatabase
from attscope.dissector.decoding.ll_encryption import LinkSecurity
from attscope.text.health_text import health_lines


def hex_preview(value: bytes | None, limit: int = 16) -> str:
    if value is None:
        return ""
    shown = value[:limit].hex(" ")
    return shown + (f" ... ({len(value)} bytes)" if len(value) > limit else "")


def latency_text(us: int | None) -> str:
    return "-" if us is None else f"{us / 1000:.1f} ms"


def transaction_line(txn: Transaction, start_us: int) -> str:
    """One line: when, where, who asked whom, what, how it ended, how long it took."""
    seconds = (txn.start_us - start_us) / 1e6
    frames = (
        f"{txn.request_frame}->{txn.response_frame}"
        if txn.response_frame
        else str(txn.request_frame)
    )
    handle = f" handle 0x{txn.handle:04x}" if txn.handle is not None else ""
    name = getattr(txn, "characteristic_name", None) or getattr(txn, "descriptor_name", None)
    named = f" ({name})" if name else ""
    outcome = txn.outcome if txn.error_name is None else f"error: {txn.error_name}"
    if txn.outcome == "cut":
        outcome = "answered (cut by the log: value unknown)"
    value = txn.value if txn.value is not None else None
    decoded = getattr(txn, "decoded", None)
    shown = f" = {decoded}" if decoded else (f" [{hex_preview(value)}]" if value else "")
    gap = " (capture gap)" if txn.capture_gap else ""
    if txn.clock_jump:
        gap += " (time jumped: not timed)"
    return (
        f"{frames:>13} {seconds:>11.6f} {txn.connection:<18} {txn.client}->{txn.server} "
        f"{txn.kind}{handle}{named} {outcome}{gap} {latency_text(txn.latency_us)}{shown}"
    )


def violation_line(found: Violation) -> str:
    frames = ",".join(map(str, found.frames))
    return (
        f"{found.severity.upper():<7} {found.kind} frames {frames} [{found.connection}]: "
        f"{found.message}. Rule: {found.rule} (Core 5.4 {found.spec})"
    )


def connection_lines(conn: Connection, start_us: int) -> list[str]:
    """A heading and the timeline of one connection."""
    if conn.peer_address:
        kind = f" ({conn.peer_address_type})" if conn.peer_address_type else ""
        role = f", local {conn.local_role}" if conn.local_role else ""
        who = f"peer {conn.peer_address}{kind}{role}"
    elif conn.central_address:
        who = f"central {conn.central_address}, peripheral {conn.peripheral_address}"
    else:
        who = "addresses unknown"
    inferred = ", inferred from its traffic" if conn.inferred else ""
    if conn.transport == "unknown":
        inferred = ", transport unknown" + inferred
    missed = f", sniffer missed {conn.missed_events}" if conn.missed_events else ""
    lines = [f"Connection {conn.id} ({conn.transport}{inferred}): {who}{missed}"]
    for side, identity in conn.identities.items():
        lines.append(f"  {side} {conn.address_of(side)} resolves to {identity}")
    lines.extend(f"  {bearer_text(b)}" for b in conn.bearers)
    lines.extend(f"  {latency_line(stats)}" for stats in conn.latency)
    if conn.security is not None:
        lines.extend(f"  {line}" for line in security_lines(conn.security))
    if conn.health is not None:
        lines.extend(f"  {line}" for line in health_lines(conn.health, start_us))
    for entry in conn.timeline:
        seconds = (entry.ts_us - start_us) / 1e6
        lines.append(f"  {entry.frame:>7} {seconds:>11.6f} {entry.kind}: {entry.detail}")
    return lines


def latency_line(stats: LatencyStats) -> str:
    """'ATT latency of read (12 answered): min 49.1 ms, median 54.0 ms, ...'."""
    return (
        f"ATT latency of {stats.kind} ({stats.count} answered): "
        f"min {latency_text(stats.min_us)}, median {latency_text(stats.median_us)}, "
        f"95th percentile {latency_text(stats.p95_us)}, max {latency_text(stats.max_us)}"
    )


def security_lines(security: LinkSecurity) -> list[str]:
    """How a link paired, what encrypted it and what attscope could decrypt."""
    lines = []
    pairing = security.pairing
    if pairing is not None:
        kind = "LE Secure Connections" if pairing.secure_connections else "legacy"
        bonding = "bonding" if pairing.bonding else "no bonding"
        text = (
            f"pairing: {kind}, {pairing.method} (IO {pairing.initiator_io} / "
            f"{pairing.responder_io}), {bonding}, key size {pairing.key_size}"
        )
        if pairing.tk is not None:
            text += f"; TK {pairing.tk:06d} found"
        if pairing.debug_key is not None:
            who = "both sides" if pairing.debug_key == "both" else f"the {pairing.debug_key}"
            text += f"; {who} used the debug key pair: no protection"
        if pairing.failed:
            text += f"; {pairing.failed}"
        lines.append(text)
    lines.extend(
        f"key found: {k.key.hex()} ({k.what}, frame {k.frame})" for k in security.keys_found
    )
    if security.decrypted_with is not None:
        key = security.decrypted_with
        where = f", frame {key.frame}" if key.frame is not None else ""
        text = (
            f"decrypted: {security.decrypted_pdus} PDUs with {key.key.hex()} "
            f"({key.source}{where}, {key.order})"
        )
        lines.append(text)
    if security.sniffer_decrypted_pdus:
        lines.append(f"decrypted by the sniffer: {security.sniffer_decrypted_pdus} PDUs")
    if security.ciphertext_pdus:
        failed = f", {security.mic_failures} failed their MIC" if security.mic_failures else ""
        if security.damaged_pdus:
            failed += f", {security.damaged_pdus} damaged on the air (CRC)"
        why = f": {security.why}" if security.why else ""
        lines.append(f"not decrypted: {security.ciphertext_pdus} PDUs{failed}{why}")
    elif security.encrypted and not (security.decrypted_pdus or security.sniffer_decrypted_pdus):
        lines.append("encrypted")
    return lines


def bearer_text(bearer: AttBearerInfo) -> str:
    """An ATT bearer's MTU as far as the capture shows it."""
    kind = "EATT bearer" if bearer.eatt else "ATT bearer"
    if bearer.mtu is None:
        mtu = "ATT_MTU unknown (exchange not in capture)"
    elif bearer.mtu_source == "exchange":
        mtu = f"ATT_MTU {bearer.mtu} (exchanged, frame {bearer.mtu_frame})"
    elif bearer.mtu_source == "channel":
        mtu = f"ATT_MTU {bearer.mtu} (the L2CAP channel's MTU)"
    else:
        mtu = f"ATT_MTU {bearer.mtu} (default, no exchange)"
    return f"{kind} 0x{bearer.cid:04x}: {mtu}, largest PDU {bearer.largest_pdu} bytes"


def _named(uuid: str | None, name: str | None) -> str:
    if uuid is None:
        return "(type unknown)"
    return f"{name} ({uuid})" if name else uuid


def _value_text(db: GattDatabase, handle: int) -> str:
    last = db.value(handle)
    if last is None:
        return ""
    decoded = db.decode(handle)
    shown = decoded.text() if decoded is not None else hex_preview(last.value)
    return f" = {shown} (frame {last.frame}, {last.source})"


def gatt_lines(db: GattDatabase) -> list[str]:
    """A server's database as a tree: services, characteristics with their properties and
    last values, descriptors, and each client's CCCD settings; then each range the server
    invalidated, with what was known of it until then."""
    where = ", ".join(sorted(db.connections))
    lines = [f"GATT database of {db.device} (connections {where or '-'})"]
    lines += _tree_lines(db)
    if db.invalidations and not db.services and not db.characteristics:
        lines.append("  (nothing learnt since the last invalidation)")
    for found in db.invalidations:
        lines.append(
            f"  invalidated at frame {found.frame}: 0x{found.start:04x}-0x{found.end:04x} "
            f"({found.reason}); known until then:"
        )
        lines += ["  " + line for line in _tree_lines(found.known)] or ["    (nothing)"]
    return lines


def _tree_lines(db: GattDatabase) -> list[str]:
    lines: list[str] = []
    for service in db.services:
        kind = "primary" if service.primary else "secondary" if service.primary is False else ""
        lines.append(
            f"  0x{service.start:04x}-0x{service.end:04x} {kind} service "
            f"{_named(service.uuid, service.name)}"
        )
        for include in service.includes:
            lines.append(
                f"    0x{include.handle:04x} include 0x{include.start:04x}-"
                f"0x{include.end:04x} {include.uuid or ''}"
            )
        for char in service.characteristics:
            props = ", ".join(char.property_names)
            lines.append(
                f"    0x{char.declaration:04x} characteristic "
                f"{_named(char.uuid, char.name)} [{props}]"
            )
            lines.append(
                f"      0x{char.value_handle:04x} value{_value_text(db, char.value_handle)}"
            )
            for desc in char.descriptors:
                lines.append(
                    f"      0x{desc.handle:04x} descriptor "
                    f"{_named(desc.uuid, desc.name)}{_value_text(db, desc.handle)}"
                )
    for state in db.cccd_states():
        enabled = ", ".join(state.enabled) or "off"
        lines.append(
            f"  CCCD 0x{state.handle:04x} of client {state.client}: {enabled}"
            + (f" (frame {state.frame})" if state.frame else "")
        )
    return lines

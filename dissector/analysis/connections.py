"""Connections and their timelines, from HCI events (an HCI log) or from link-layer PDUs
(an air capture). A link seen only through its data is still a connection, `inferred`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from attscope.capture.frame import Direction, Frame, SnifferInfo
from attscope.dissector.analysis.analysis_records import (
    CENTRAL,
    LOCAL,
    PERIPHERAL,
    REMOTE,
    UNKNOWN_SIDE,
    Connection,
    Ends,
    LatencyStats,
    Side,
    TimelineEntry,
    Transaction,
)
from attscope.dissector.analysis.health.records import LinkHealth
from attscope.dissector.analysis.transactions import Bearer
from attscope.dissector.decoding import hci_events as ev
from attscope.dissector.decoding import ll_control as llc
from attscope.dissector.decoding.att_pdus import ExchangeMtuRequest, ExchangeMtuResponse
from attscope.dissector.decoding.decoder import Link, Packet, air_connection
from attscope.dissector.decoding.hci_acl import AclHeader
from attscope.dissector.decoding.hci_commands import (
    LeReadBufferSizeReturn,
    LeReadBufferSizeV2Return,
    ReadBdAddrReturn,
)
from attscope.dissector.decoding.hci_names import ADDRESS_TYPES, PHYS, error_name
from attscope.dissector.decoding.ll_adv import ConnectInd
from attscope.dissector.decoding.ll_data import L2capFragment, LlEncrypted, LlPacket
from attscope.dissector.decoding.ll_encryption import LinkSecurity
from attscope.dissector.decoding.pdu import Malformed

# a link's health record: the link, its security, whether it is closing
HealthOf = Callable[["LiveConnection", LinkSecurity | None, bool], LinkHealth]

SIDE_OF: dict[Direction, Side] = {
    Direction.HOST_TO_CONTROLLER: LOCAL,
    Direction.CONTROLLER_TO_HOST: REMOTE,
    Direction.CENTRAL_TO_PERIPHERAL: CENTRAL,
    Direction.PERIPHERAL_TO_CENTRAL: PERIPHERAL,
    Direction.UNKNOWN: UNKNOWN_SIDE,
}
UNKNOWN_TRANSPORT = "unknown"  # an HCI link seen only through traffic that does not tell
# fixed L2CAP channels that exist on one transport only (Core 5.4 Vol 3 Part A 2.1):
# BR/EDR signalling, connectionless, AMP manager, BR/EDR security manager; ATT, LE
# signalling, LE security manager
BREDR_CIDS = frozenset({0x0001, 0x0002, 0x0003, 0x0007})
LE_CIDS = frozenset({0x0004, 0x0005, 0x0006})
# HCI events about a handle that exist on one transport only (Vol 4 Part E 7.7)
BREDR_EVENTS = (ev.ModeChange, ev.MaxSlotsChange, ev.ConnectionPacketTypeChanged,
                ev.ReadClockOffsetComplete, ev.ReadRemoteExtendedFeaturesComplete,
                ev.AuthenticationComplete)  # fmt: skip
LE_EVENTS = (ev.LeConnectionUpdateComplete, ev.LeDataLengthChange, ev.LePhyUpdateComplete,
             ev.LeReadRemoteFeaturesComplete, ev.LeLongTermKeyRequest,
             ev.LeRemoteConnectionParameterRequest, ev.LeChannelSelectionAlgorithm)  # fmt: skip
# handles on which controllers send their own debug logs as ACL data, not a link
# (Qualcomm controllers in Android logs); a Connection Complete for one still opens it
VENDOR_HANDLES = frozenset({0x0EDC})
MAX_HANDLE = 0x0EFF  # 0x0F00-0x0FFF are reserved (Vol 4 Part E 5.4.2)
SAME_CHANNEL_PDUS = 2  # well-formed PDUs on one dynamic channel that make a handle a link
SAME_AA_PACKETS = 2  # packets with one access address that make a link, without a CRC check
MAX_CANDIDATES = 1024  # links not proven yet; the oldest is forgotten past this
MAX_TIMELINE = 10_000  # entries per connection; later ones are counted, not kept
MAX_CONNECTIONS = 100_000  # bounds state on hostile input


def bd_addr(raw: bytes) -> str:
    """A BD_ADDR as written on the wire (little-endian) in display order."""
    return ":".join(f"{b:02X}" for b in reversed(raw))


class LiveConnection(Ends, msgspec.Struct, gc=False):
    """The connection tracker's working state of one link (its fields are `Connection`'s):
    written by the tracker alone, read by the analyzer, never handed out. What leaves
    the analyzer is a `snapshot()`."""

    id: str
    transport: str
    inferred: bool
    start_us: int
    first_frame: int
    handle: int | None = None
    adapter: int | None = None
    access_address: int | None = None
    local_role: str | None = None
    local_address: str | None = None
    peer_address: str | None = None
    peer_address_type: str | None = None
    central_address: str | None = None
    peripheral_address: str | None = None
    parameters: dict[str, Any] = msgspec.field(default_factory=dict)
    end_us: int | None = None
    last_frame: int | None = None
    disconnect_reason: str | None = None
    missed_events: int = 0
    bearers: list[Bearer] = msgspec.field(default_factory=list)  # the ATT tracker's
    timeline: list[TimelineEntry] = msgspec.field(default_factory=list)
    timeline_dropped: int = 0

    def snapshot(
        self,
        security: LinkSecurity | None = None,
        identities: dict[str, str] | None = None,
        latency: tuple[LatencyStats, ...] = (),
        health: LinkHealth | None = None,
    ) -> Connection:
        """The link as it is now, as a record that nothing changes afterwards;
        `security` is the decoder's (air links), `identities` what IRKs resolve, `latency`
        its transactions' (latency.py)."""
        fields = msgspec.structs.asdict(self)
        fields.update(
            parameters=dict(self.parameters),
            bearers=tuple(bearer.info() for bearer in self.bearers),
            timeline=tuple(self.timeline),
            security=security,
            identities=identities or {},
            latency=latency,
            health=health,
        )
        return Connection(**fields)


class _Candidate:
    """An HCI handle or access address with traffic but, so far, no evidence of being a
    link."""

    __slots__ = ("frame", "last", "packets", "per_channel", "ts_us")

    def __init__(self, ts_us: int, frame: int) -> None:
        self.ts_us = ts_us
        self.frame = frame
        self.last = 0  # the last frame counted: a frame is asked about more than once
        self.packets = 0
        self.per_channel: dict[int, int] = {}


def _event_transport(event: Any) -> str | None:
    if isinstance(event, LE_EVENTS):
        return "le"
    if isinstance(event, BREDR_EVENTS):
        return "br/edr"
    return None


class ConnectionTracker:
    """Which connection each packet belongs to, opening, updating and closing them.

    A link whose start is not in the capture opens (`inferred`) on evidence only: an air
    capture's data PDUs, or on HCI a well-formed L2CAP PDU on a fixed channel, a few on
    one dynamic channel, or an event only links have. Its transport is what the evidence
    says (`UNKNOWN_TRANSPORT` until something does), never LE by default."""

    def __init__(
        self,
        security_of: Callable[[int | None], LinkSecurity | None] | None = None,
        resolve: Callable[[str], str | None] | None = None,
        hci_security_of: Callable[[str], LinkSecurity | None] | None = None,
        latency_of: Callable[[str], tuple[LatencyStats, ...]] | None = None,
        health_of: HealthOf | None = None,
    ) -> None:
        self._health_of = health_of  # a link's health record (health/tracker.py)
        self._latency_of = latency_of  # a link's transaction latency, by connection id
        self._security_of = security_of  # an air link's security, by access address
        self._hci_security_of = hci_security_of  # an HCI link's, by connection id
        self._resolve = resolve  # a resolvable private address -> its device's identity
        self.all: list[LiveConnection] = []
        # the decoder's connection name -> the live connection; read it, never write it
        self.live: dict[str | None, LiveConnection] = {}
        self._uses: dict[str, int] = {}
        self._by_id: dict[str, LiveConnection] = {}
        self.local_address: str | None = None
        # id -> (event counter, time of the last packet when it can be believed)
        self._air_events: dict[str, tuple[int | None, int | None]] = {}
        self._candidates: dict[str, _Candidate] = {}
        self.unkept = 0  # connections past MAX_CONNECTIONS: analysed, not listed
        self.le_acl_length = 0  # LE Read Buffer Size: the longest LE ACL packet
        self._ciphertext: set[str] = set()  # links whose encryption start is noted
        self._paused: set[str] = set()  # links whose encryption paused for a key refresh
        self.opened: list[LiveConnection] = []  # since the last `take_changes`
        self.closed: list[LiveConnection] = []

    def take_changes(self) -> tuple[list[Connection], list[Connection]]:
        """Records of the links opened and closed since the last call."""
        opened = [self.snapshot(conn) for conn in self.opened]
        closed = [self.snapshot(conn, closing=True) for conn in self.closed]
        self.opened, self.closed = [], []
        return opened, closed

    def snapshot(self, conn: LiveConnection, closing: bool = False) -> Connection:
        """A record of the link as it is now (`closing`: as it ended)."""
        found = self._security_of
        security = None
        if found is not None and conn.access_address is not None:
            security = found(conn.access_address)
        elif self._hci_security_of is not None and conn.access_address is None:
            security = self._hci_security_of(conn.id)
        identities = {}
        if self._resolve is not None:
            for side in (CENTRAL, PERIPHERAL, REMOTE, LOCAL):
                address = conn.address_of(side)
                identity = self._resolve(address) if address else None
                if identity is not None:
                    identities[side] = identity
        latency = self._latency_of(conn.id) if self._latency_of is not None else ()
        health = self._health_of(conn, security, closing) if self._health_of is not None else None
        return conn.snapshot(security, identities, latency, health)

    def get(self, conn_id: str) -> LiveConnection | None:
        """A connection by its id, live or ended (if kept)."""
        return self._by_id.get(conn_id)

    def connection_for(
        self, packet: Packet, sniffer: SnifferInfo | None = None
    ) -> LiveConnection | None:
        """The live connection of a packet, opening an inferred one if the packet proves
        there is a link; `sniffer`: what an air sniffer said of the packet."""
        name = packet.connection
        if name is None:
            return None
        found = self.live.get(name)
        if found is None:
            found = self._infer(name, packet, sniffer)
        return found

    def _infer(
        self, name: Link, packet: Packet, sniffer: SnifferInfo | None
    ) -> LiveConnection | None:
        """A link whose start the capture missed, if the packet shows there is one."""
        handle = name.handle
        if handle is None:
            return self._infer_air(name, packet, sniffer)
        if handle in VENDOR_HANDLES or handle > MAX_HANDLE:
            return None
        transport = self.transport_of(packet)
        if transport is None:
            seen = self._candidate(name, packet)
            cid = packet.cid
            if cid is None or cid < 0x0040 or not _well_formed(packet):
                return None
            if seen.last == packet.frame:
                return None
            seen.last = packet.frame
            count = seen.per_channel[cid] = seen.per_channel.get(cid, 0) + 1
            if count < SAME_CHANNEL_PDUS:
                return None
            transport = UNKNOWN_TRANSPORT
        return self._open_inferred(name, packet, transport)

    def _infer_air(
        self, name: Link, packet: Packet, sniffer: SnifferInfo | None
    ) -> LiveConnection | None:
        """A data PDU whose CRC the sniffer checked proves a link; without a check (a
        sniffer that does not say, or link type 251), a second packet with the access
        address does: a single one may be noise (a capture of random access addresses
        would make a connection of each)."""
        if sniffer is not None and sniffer.crc_ok:
            return self._open(name, packet, inferred=True)
        if sniffer is not None and sniffer.crc_ok is False:
            return None  # damaged: its access address may be damaged too
        seen = self._candidate(name, packet)
        if seen.last != packet.frame:
            seen.last = packet.frame
            seen.packets += 1
        if seen.packets < SAME_AA_PACKETS:
            return None
        conn = self._open_inferred(name, packet, "le air")
        conn.missed_events += 1  # the packets before this one were not analysed
        return conn

    def _candidate(self, name: Link, packet: Packet) -> _Candidate:
        seen = self._candidates.get(name)
        if seen is None:
            if len(self._candidates) >= MAX_CANDIDATES:  # forget the one heard first
                del self._candidates[next(iter(self._candidates))]
            seen = self._candidates[name] = _Candidate(packet.ts_us, packet.frame)
        return seen

    def _open_inferred(self, name: Link, packet: Packet, transport: str) -> LiveConnection:
        conn = self._open(name, packet, inferred=True)
        conn.transport = transport
        seen = self._candidates.pop(name, None)
        if seen is not None:  # its traffic began before the evidence did
            conn.start_us, conn.first_frame = seen.ts_us, seen.frame
        return conn

    def transport_of(self, packet: Packet) -> str | None:
        """What an HCI packet's traffic says of its link's transport, if anything."""
        cid = packet.cid
        if cid is None or not _well_formed(packet):
            return None
        if cid in LE_CIDS:
            return "le"
        if cid in BREDR_CIDS:
            return "br/edr"
        header = packet.layers[0]
        if (
            self.le_acl_length
            and packet.direction == Direction.HOST_TO_CONTROLLER
            and isinstance(header, AclHeader)
            and header.length > self.le_acl_length
        ):
            return "br/edr"  # longer than the controller takes on LE links
        return None

    def traffic(self, conn: LiveConnection, packet: Packet, frame: Frame) -> None:
        """A packet of the link's own traffic: its last frame, what it tells of the
        transport, and what the capture lost of the link so far."""
        conn.last_frame = packet.frame
        if conn.transport == UNKNOWN_TRANSPORT:
            self.classify(conn, packet)
        if frame.sniffer is not None:
            self.observe_air_events(conn, frame)
        if packet.lost:
            conn.missed_events += 1  # fragments lost: the capture has a gap

    @staticmethod
    def add_bearer(conn: LiveConnection, bearer: Bearer) -> None:
        """An ATT bearer first used (the ATT tracker keeps it up to date)."""
        conn.bearers.append(bearer)

    def classify(self, conn: LiveConnection, packet: Packet) -> None:
        """An open link of unknown transport: does this packet tell?"""
        transport = self.transport_of(packet)
        if transport is not None:
            conn.transport = transport

    def observe_air_events(self, conn: LiveConnection, frame: Frame) -> None:
        """Count the connection events an air sniffer missed (and the packets it caught
        damaged): the central sends in every
        event (Core 5.4 Vol 6 Part B 4.5.1), so its packets come one event apart. The
        sniffer's event counter says it exactly; without one, the time since the last
        packet does, measured in connection intervals."""
        sniffer = frame.sniffer
        if sniffer is not None and (sniffer.crc_ok is False or sniffer.mic_ok is False):
            conn.missed_events += 1  # a packet the sniffer caught damaged: lost to us
        state = self._air_events.get(conn.id)
        counter = sniffer.event_counter if sniffer is not None else None
        if counter is not None and sniffer is not None and sniffer.protover is not None:
            if counter == 0 and state is not None:
                return  # some firmware reports 0 for packets it could not place
            if state is not None and state[0] is not None:
                missed = (counter - state[0] - 1) & 0xFFFF
                if 0 < missed < 0x8000:
                    conn.missed_events += missed
            self._air_events[conn.id] = (counter, None if frame.bad_time else frame.ts_us)
            return
        interval_ms = conn.parameters.get("interval_ms")
        if state is not None and state[1] is not None and interval_ms:
            gap = frame.ts_us - state[1]
            missed = round(gap / (interval_ms * 1000)) - 1
            if missed > 0:
                conn.missed_events += missed
        self._air_events[conn.id] = (None, None if frame.bad_time else frame.ts_us)

    def clock_jumped(self) -> None:
        """The capture's time jumped: no gap is measured across it."""
        for key, (counter, _ts) in self._air_events.items():
            self._air_events[key] = (counter, None)

    def observe(self, packet: Packet, sniffer: SnifferInfo | None = None) -> None:
        """Follow what an HCI event or LL PDU says about connections."""
        layers = packet.layers
        if not layers:
            return
        record = layers[-1]
        if isinstance(record, LlPacket):
            self._air(packet, record.pdu, sniffer)
        elif isinstance(record, ev.HciEvent):
            self._hci(packet, record)

    # -- HCI ----------------------------------------------------------------------------

    def _hci(self, packet: Packet, event: Any) -> None:
        if isinstance(event, ev.CommandComplete):
            ret = event.ret
            if isinstance(ret, ReadBdAddrReturn) and ret.status == 0:
                self.local_address = bd_addr(ret.address)
                for conn in self.live.values():
                    conn.local_address = conn.local_address or self.local_address
            elif isinstance(ret, LeReadBufferSizeReturn | LeReadBufferSizeV2Return) and (
                ret.status == 0
            ):
                self.le_acl_length = ret.acl_data_packet_length
            return
        name = packet.connection
        if name is None or getattr(event, "status", 0) != 0:
            return
        if isinstance(event, ev.LeConnectionComplete | ev.LeEnhancedConnectionComplete):
            self._close(name, packet, "the handle was given to a new connection")
            conn = self._open(name, packet, inferred=False)
            conn.transport = "le"
            conn.local_role = "central" if event.role == 0 else "peripheral"
            conn.peer_address = bd_addr(event.peer_address)
            conn.peer_address_type = ADDRESS_TYPES.get(event.peer_address_type, "unknown")
            conn.parameters = {
                "interval_ms": event.interval * 1.25,
                "latency": event.latency,
                "supervision_timeout_ms": event.supervision_timeout * 10,
            }
            self._note(
                conn,
                packet,
                "connect",
                f"{conn.local_role}, peer {conn.peer_address} "
                f"({conn.peer_address_type}), interval {event.interval * 1.25:.2f} ms",
            )
        elif isinstance(event, ev.ConnectionComplete):
            self._close(name, packet, "the handle was given to a new connection")
            conn = self._open(name, packet, inferred=False)
            conn.transport = "br/edr"
            conn.peer_address = bd_addr(event.address)
            self._note(conn, packet, "connect", f"BR/EDR, peer {conn.peer_address}")
        elif isinstance(event, ev.DisconnectionComplete):
            self._close(name, packet, error_name(event.reason))
        elif name in self.live:
            self._hci_update(self.live[name], packet, event)
        else:
            transport = _event_transport(event)
            handle = name.handle
            if (
                transport is not None
                and handle is not None
                and handle not in VENDOR_HANDLES
                and handle <= MAX_HANDLE
            ):
                self._hci_update(self._open_inferred(name, packet, transport), packet, event)

    def _hci_update(self, conn: LiveConnection, packet: Packet, event: Any) -> None:
        if conn.transport == UNKNOWN_TRANSPORT:
            conn.transport = _event_transport(event) or UNKNOWN_TRANSPORT
        if isinstance(event, ev.EncryptionChange):
            state = "on" if event.encryption_enabled else "off"
            self._note(conn, packet, "encryption", f"encryption {state}")
        elif isinstance(event, ev.EncryptionKeyRefreshComplete):
            self._note(conn, packet, "encryption_refresh", "encryption key refreshed")
        elif isinstance(event, ev.LeConnectionUpdateComplete):
            conn.parameters.update(
                interval_ms=event.interval * 1.25,
                latency=event.latency,
                supervision_timeout_ms=event.supervision_timeout * 10,
            )
            self._note(
                conn,
                packet,
                "parameter_update",
                f"interval {event.interval * 1.25:.2f}"
                f" ms, latency {event.latency}, timeout {event.supervision_timeout * 10}"
                " ms",
            )
        elif isinstance(event, ev.LePhyUpdateComplete):
            self._note(
                conn,
                packet,
                "phy_update",
                f"TX {PHYS.get(event.tx_phy, event.tx_phy)}, "
                f"RX {PHYS.get(event.rx_phy, event.rx_phy)}",
            )
        elif isinstance(event, ev.LeDataLengthChange):
            self._note(
                conn,
                packet,
                "data_length",
                f"TX {event.max_tx_octets} bytes, RX {event.max_rx_octets} bytes",
            )

    # -- air ----------------------------------------------------------------------------

    def _air(self, packet: Packet, pdu: Any, sniffer: SnifferInfo | None) -> None:
        if isinstance(pdu, ConnectInd):
            self._connect_ind(packet, pdu)
            return
        if packet.connection is None:
            return
        conn = self.connection_for(packet, sniffer)
        if conn is None or type(pdu) is L2capFragment:  # data, Empty PDUs: no news
            return
        if isinstance(pdu, llc.TerminateInd):
            # the link ends after the peer acknowledges; the packets until then still
            # belong to it, so it stays the live connection of its access address
            reason = error_name(pdu.error_code)
            conn.end_us, conn.disconnect_reason = packet.ts_us, reason
            self._note(conn, packet, "disconnect", reason)
        elif isinstance(pdu, llc.ConnectionUpdateInd):
            conn.parameters.update(
                interval_ms=pdu.interval * 1.25,
                latency=pdu.latency,
                supervision_timeout_ms=pdu.timeout * 10,
            )
            self._note(
                conn,
                packet,
                "parameter_update",
                f"interval {pdu.interval * 1.25:.2f} "
                f"ms, latency {pdu.latency}, timeout {pdu.timeout * 10} ms, "
                f"at instant {pdu.instant}",
            )
        elif isinstance(pdu, llc.PhyUpdateInd):
            self._note(
                conn,
                packet,
                "phy_update",
                f"C->P {pdu.phy_c_to_p:#x}, P->C {pdu.phy_p_to_c:#x}, at instant {pdu.instant}",
            )
        elif isinstance(pdu, llc.LengthRsp):
            self._note(
                conn,
                packet,
                "data_length",
                f"max RX {pdu.max_rx_octets} bytes, max TX {pdu.max_tx_octets} bytes",
            )
        elif isinstance(pdu, llc.StartEncRsp):
            # both ends send one (Vol 6 Part B 5.1.3.1): the first says encryption is on
            if conn.id not in self._ciphertext:
                self._note(conn, packet, "encryption", "encryption started")
                self._ciphertext.add(conn.id)
        elif isinstance(pdu, llc.EncReq):
            refresh = conn.id in self._ciphertext or conn.id in self._paused
            self._paused.discard(conn.id)
            self._ciphertext.discard(conn.id)  # a new start (or a refresh) follows
            what = "key refresh" if refresh else "encryption"
            self._note(conn, packet, "encryption_request",
                       f"{what} requested by the central (EDIV 0x{pdu.ediv:04x}, "
                       f"Rand {pdu.rand.hex()})")  # fmt: skip
        elif isinstance(pdu, llc.PauseEncReq):
            self._paused.add(conn.id)
            self._note(conn, packet, "encryption_pause", "encryption paused for a key refresh")
        elif isinstance(pdu, LlEncrypted) and conn.id not in self._ciphertext:
            # no key reads its LL_START_ENC_RSP: the first ciphertext says the same
            self._note(conn, packet, "encryption", "encryption started")
            self._ciphertext.add(conn.id)

    def note(self, conn: LiveConnection, packet: Packet, kind: str, detail: str) -> None:
        """An entry of the connection's timeline that another tracker found."""
        self._note(conn, packet, kind, detail)

    def note_mtu(self, txn: Transaction) -> None:
        """An MTU exchange completed: it belongs on the connection's timeline."""
        conn = self._by_id.get(txn.connection)
        if conn is None:
            return
        request, response = txn.request, txn.response
        if not isinstance(request, ExchangeMtuRequest):
            return
        if not isinstance(response, ExchangeMtuResponse):
            return
        client, server = request.client_rx_mtu, response.server_rx_mtu
        _add(
            conn,
            TimelineEntry(
                txn.end_us or txn.start_us,
                txn.response_frame or txn.request_frame,
                "mtu_exchange",
                f"ATT_MTU {max(23, min(client, server))} (client "
                f"{client}, server {server}, bearer 0x{txn.bearer:04x})",
            ),
        )

    # -- bookkeeping --------------------------------------------------------------------

    def _connect_ind(self, packet: Packet, pdu: ConnectInd) -> None:
        name = air_connection(pdu.ll_data.aa)
        self._close(name, packet, "a new CONNECT_IND used its access address")
        conn = self._open(name, packet, inferred=False)
        conn.central_address = pdu.init_a.addr
        conn.peripheral_address = pdu.adv_a.addr
        data = pdu.ll_data
        conn.parameters = {
            "interval_ms": data.interval * 1.25,
            "latency": data.latency,
            "supervision_timeout_ms": data.timeout * 10,
            "crc_init": data.crc_init,
            "hop": data.hop,
            "channel_map": data.chm.hex(),
        }
        self._note(
            conn,
            packet,
            "connect",
            f"central {conn.central_address}, peripheral "
            f"{conn.peripheral_address}, interval {data.interval * 1.25:.2f} ms",
        )

    def _open(self, name: Link, packet: Packet, inferred: bool) -> LiveConnection:
        uses = self._uses.get(name, 0) + 1
        self._uses[name] = uses
        air = name.air
        conn = LiveConnection(
            id=str(name) if uses == 1 else f"{name} #{uses}",  # plain text, for any encoder
            transport="le air" if air else UNKNOWN_TRANSPORT,
            inferred=inferred,
            start_us=packet.ts_us,
            first_frame=packet.frame,
            access_address=name.access_address,
            handle=name.handle,
            adapter=name.adapter,
            local_address=None if air else self.local_address,
        )
        if len(self.all) >= MAX_CONNECTIONS:
            self.unkept += 1
        else:
            self.all.append(conn)
            self._by_id[conn.id] = conn
        self.live[name] = conn
        self.opened.append(conn)
        return conn

    def _close(self, name: Link, packet: Packet, reason: str) -> None:
        conn = self.live.pop(name, None)
        if conn is None:
            return
        conn.end_us, conn.last_frame, conn.disconnect_reason = packet.ts_us, packet.frame, reason
        self._note(conn, packet, "disconnect", reason)
        self.closed.append(conn)

    def finish(self) -> None:
        """The capture ended: live connections stay open (no end time), reported closed."""
        self.closed.extend(self.live.values())
        self.live.clear()

    @staticmethod
    def _note(conn: LiveConnection, packet: Packet, kind: str, detail: str) -> None:
        _add(conn, TimelineEntry(packet.ts_us, packet.frame, kind, detail))
        conn.last_frame = packet.frame


def _add(conn: LiveConnection, entry: TimelineEntry) -> None:
    """A timeline entry, up to MAX_TIMELINE per connection; later ones are counted."""
    if len(conn.timeline) < MAX_TIMELINE:
        conn.timeline.append(entry)
    else:
        conn.timeline_dropped += 1


def _well_formed(packet: Packet) -> bool:
    """The packet's ACL and L2CAP layers decoded (what is inside may still be damaged)."""
    for layer in packet.layers:
        if isinstance(layer, Malformed) and layer.layer in ("hci", "l2cap", "capture"):
            return False
    return not packet.lost

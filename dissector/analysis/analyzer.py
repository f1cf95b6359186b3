"""The analyzer: frames in, events out (sans-I/O, like h11), and the state to query.

    analyzer = Analyzer()
    for frame in open_capture(path):
        fed = analyzer.feed(frame)
        fed.packet, fed.connection, fed.events
    analyzer.finish()
    analyzer.connections, analyzer.transactions(conn_id), analyzer.violations

`feed()` returns everything a consumer needs of the frame: the decoded packet, the id of
the connection it belongs to and the events it completed. Events are immutable records,
final when emitted: a `Connection` when it opens (and a new record of it when it closes),
a `Transaction` when it completes, a `Violation` when found. `feed()` never raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from attscope.capture.frame import Direction, Frame, HciType
from attscope.capture.time_check import REORDER_US
from attscope.dissector.analysis.acl_flow import AclFlowTracker
from attscope.dissector.analysis.advertisers import CARRIERS as ADVERT_CARRIERS
from attscope.dissector.analysis.advertisers import MAX_DEVICES, Advertiser, AdvertiserTracker
from attscope.dissector.analysis.analysis_records import (
    MTU_UNSEEN,
    Connection,
    Transaction,
    Violation,
)
from attscope.dissector.analysis.connections import (
    MAX_CONNECTIONS,
    MAX_TIMELINE,
    SIDE_OF,
    ConnectionTracker,
    LiveConnection,
)
from attscope.dissector.analysis.credits import CreditTracker
from attscope.dissector.analysis.gatt_db import GattDatabase
from attscope.dissector.analysis.gatt_learn import GattDatabases
from attscope.dissector.analysis.hci_security import HciSecurity
from attscope.dissector.analysis.health.records import LinkHealth
from attscope.dissector.analysis.health.tracker import OPCODE_READ_KEY_SIZE, HealthTracker
from attscope.dissector.analysis.latency import LatencyCollector
from attscope.dissector.analysis.security_timeline import SecurityTimeline
from attscope.dissector.analysis.transactions import (
    BREDR_DEFAULT_MTU,
    LE_DEFAULT_MTU,
    AttTracker,
    Bearer,
)
from attscope.dissector.decoding.att_pdus import AttCut, AttPdu
from attscope.dissector.decoding.decoder import Decoder, Packet, air_connection, hci_connection
from attscope.dissector.decoding.hci_commands import (
    LeEnableEncryption,
    LeLongTermKeyRequestReply,
    ReturnStatusHandleRest,
)
from attscope.dissector.decoding.hci_events import (
    CommandComplete,
    EncryptionChange,
    EncryptionChangeV2,
    LeLongTermKeyRequest,
)
from attscope.dissector.decoding.l2cap import CID_ATT, CID_SMP
from attscope.dissector.decoding.le_keys import Keys
from attscope.dissector.decoding.ll_adv import AdvDirectInd, AdvInd, AuxConnectReq, ConnectInd
from attscope.dissector.decoding.ll_data import LlEncrypted, LlPacket
from attscope.dissector.decoding.ll_encryption import LinkSecurity

_UNKNOWN = Direction.UNKNOWN
_ACL = HciType.ACL
Event = Connection | Transaction | Violation
_NO_EVENTS: tuple[Event, ...] = ()
# HCI commands and events of a link's security (see HciSecurity)
_SECURITY_NEWS = frozenset(
    {EncryptionChange, EncryptionChangeV2, LeEnableEncryption, LeLongTermKeyRequestReply,
     LeLongTermKeyRequest}
)  # fmt: skip


_LINK_ADVERTS = frozenset({ConnectInd, AuxConnectReq, AdvInd, AdvDirectInd})


def _unreadable(packet: Packet) -> bool:
    """An air packet whose PDU stayed ciphertext (no key read it)."""
    ll = packet.layers[0] if packet.layers else None
    return type(ll) is LlPacket and type(ll.pdu) is LlEncrypted


class Fed(msgspec.Struct, frozen=True, gc=False):
    """What one frame gave: its decoded packet, the id of the connection it belongs to
    (None for adverts, for a link the capture has not proven yet, and for frames of no
    link; `Analyzer.connection(id)` is its record) and the events it completed, in
    order."""

    packet: Packet
    connection: str | None
    events: Sequence[Event]


class Analyzer:
    """Everything attscope works out about a capture, fed one frame at a time.

    `retain=False` keeps no transactions or violations (only the events say them), so a
    capture of any size streams in constant memory; connections are always kept."""

    def __init__(
        self,
        retain: bool = True,
        uuid_names: dict[str, str] | None = None,
        keys: Keys | None = None,
    ) -> None:
        self.decoder = Decoder(keys)  # `keys`: what encrypted air links are decrypted with
        self.retain = retain
        resolve = self.decoder.encryption.keys.resolve  # resolvable private addresses
        self._hci_security = HciSecurity(self.decoder.encryption.keys)
        self._security_timeline = SecurityTimeline()
        self._latency = LatencyCollector()
        self._acl_flow = AclFlowTracker(self._on_violation)
        self._connections = ConnectionTracker(
            self.decoder.encryption.security, resolve, self._hci_security.security,
            self._latency.stats, self._health_of,
        )  # fmt: skip
        self._health = HealthTracker(
            self._on_violation, self._connections.note, self._acl_flow.host_latency
        )
        self._att = AttTracker(self._on_transaction, self._on_violation)
        self._credits = CreditTracker(self._on_violation)
        self._advertisers = AdvertiserTracker(resolve)
        self._gatt = GattDatabases(self._on_violation, uuid_names, resolve)  # custom names
        self._bearers: dict[tuple[str, int], Bearer] = {}
        self._unreadable: dict[str, int] = {}  # encrypted PDUs no key read, per connection
        self._missed: dict[str, int] = {}  # packets the acknowledgement bits show missed
        self._transactions: list[Transaction] = []
        self.violations: list[Violation] = []
        self._events: list[Event] = []
        self._clock = -(1 << 62)  # the latest believed frame time

    # -- feeding ------------------------------------------------------------------------

    def feed(self, frame: Frame) -> Fed:
        """Decode and analyse one frame."""
        # this runs for every frame: locals rather than attribute lookups, and only what
        # the frame needs
        packet = self.decoder.decode(frame)
        ts = packet.ts_us
        if ts >= self._clock and not frame.bad_time:  # time going on, as it mostly does
            self._clock = ts
            att = self._att
            if att.untimed:
                att.untimed = False
            att.expire(ts)
        else:
            self._time_step(frame.bad_time, ts)
        connections = self._connections
        cid = packet.cid
        sniffer = frame.sniffer
        name = packet.connection
        if cid is None:  # HCI events, LL control and advertising PDUs: connection news
            live = connections.live
            conn = live.get(name)  # before the news: a disconnection ends it
            connections.observe(packet, sniffer)
            if name is None:
                pdu = packet.pdu
                if type(pdu) in ADVERT_CARRIERS:
                    self._advertisers.observe(frame, pdu)
                    if type(pdu) is LlPacket and type(pdu.pdu) in _LINK_ADVERTS:
                        self._link_advert(packet, pdu.pdu, frame)
                elif type(pdu) is CommandComplete and pdu.opcode == OPCODE_READ_KEY_SIZE:
                    self._key_size(frame, pdu)
            elif conn is None:
                conn = live.get(name)  # one the news opened
            elif _unreadable(packet):
                # a PDU no key reads: what it said is unknown to the ATT streams too
                self._unreadable[conn.id] = self._unreadable.get(conn.id, 0) + 1
                for key, bearer in self._bearers.items():
                    if key[0] == conn.id:
                        self._att.unreadable(bearer)
            if conn is not None and frame.hci_type is not None:
                if frame.hci_type == _ACL:  # a fragment of a PDU still being joined
                    if not packet.lost:  # (a lost one is the link's traffic below)
                        self._health.traffic(conn, packet, frame)
                else:
                    if type(packet.pdu) in _SECURITY_NEWS:
                        self._hci_security_news(conn, packet)
                    self._health.news(conn, packet)
        else:
            conn = None
        lost = packet.lost
        # a link's own traffic: an L2CAP PDU, lost fragments, or any packet on an access
        # address (not an HCI event naming a handle, which may come after the link is gone)
        own = cid is not None or lost or (name is not None and name.access_address is not None)
        if own and name is not None:  # it opens an inferred connection if it proves one
            conn = connections.connection_for(packet, sniffer)
        if packet.missed_before and conn is not None:  # a packet the sniffer did not catch
            self._missed[conn.id] = self._missed.get(conn.id, 0) + 1
        if frame.hci_type is not None:  # controller buffers (Vol 4 Part E 4.1)
            self._acl_flow.observe(frame, packet, conn.id if conn is not None else None)
        if own and conn is not None:
            connections.traffic(conn, packet, frame)
            self._health.traffic(conn, packet, frame)
            if cid is not None:
                unknown = frame.direction is _UNKNOWN
                if cid != CID_ATT:
                    if not unknown:
                        self._credits.observe(packet, conn.id, conn.missed_events)  # K-frames
                    if cid == CID_SMP:
                        if conn.access_address is None:  # SMP on HCI
                            self._hci_security.smp(conn.id, packet.pdu, frame.direction,
                                                   conn.local_role, packet.frame)  # fmt: skip
                        sender = SIDE_OF[packet.direction]
                        said = self._security_timeline.smp(conn.id, packet.pdu, sender)
                        if said is not None:
                            connections.note(conn, packet, *said)
                pdu = packet.pdu
                if isinstance(pdu, AttPdu | AttCut):
                    self._att_pdu(conn, packet, pdu, unknown)
        conn_id = conn.id if conn is not None else None
        if self._events or connections.opened or connections.closed:
            return Fed(packet, conn_id, self._flush())
        return Fed(packet, conn_id, _NO_EVENTS)

    def _link_advert(self, packet: Packet, pdu: Any, frame: Frame) -> None:
        """A connectable advertisement, or the CONNECT_IND that opened a link."""
        conn = None
        if type(pdu) in (ConnectInd, AuxConnectReq):
            conn = self._connections.live.get(air_connection(pdu.ll_data.aa))
        self._health.advert(packet, pdu, conn, frame)

    def _key_size(self, frame: Frame, event: CommandComplete) -> None:
        """HCI_Read_Encryption_Key_Size answered: the key size of the link it names."""
        ret = event.ret
        if not isinstance(ret, ReturnStatusHandleRest) or ret.status != 0 or not ret.rest:
            return
        name = hci_connection(frame.adapter, ret.handle & 0x0FFF)
        conn = self._connections.live.get(name)
        if conn is not None:
            self._health.key_size(conn, ret.rest[0])

    def _health_of(self, conn: LiveConnection, security: LinkSecurity | None,
                   closing: bool) -> LinkHealth:  # fmt: skip
        return self._health.record(conn, security, self._clock, closing)

    def _hci_security_news(self, conn: LiveConnection, packet: Packet) -> None:
        pdu = packet.pdu
        if isinstance(pdu, EncryptionChange):
            if pdu.status == 0:
                self._hci_security.encryption(conn.id, bool(pdu.encryption_enabled))
        else:
            self._hci_security.command(conn.id, pdu, packet.frame)

    def _time_step(self, bad_time: bool, ts: int) -> None:
        """A frame whose time is out of range or earlier than the capture's clock. A step
        back shorter than REORDER_US is packets logged out of order; anything else is a
        jump: nothing open now is timed across it."""
        att = self._att
        if not bad_time and ts >= self._clock - REORDER_US:
            att.untimed = False
            att.expire(ts)
            return
        att.untimed = bad_time  # its own time is no time either
        att.clock_jumped(self._bearers.values())
        self._connections.clock_jumped()
        if not bad_time:
            self._clock = ts  # time goes on from here

    def finish(self) -> list[Event]:
        """The capture ended: open transactions end as incomplete, connections close."""
        for bearer in self._bearers.values():
            self._att.close_bearer(bearer)
        self._bearers.clear()
        self._connections.finish()
        return self._flush()

    def _att_pdu(
        self,
        conn: LiveConnection,
        packet: Packet,
        pdu: AttPdu | AttCut,
        frame_direction_unknown: bool,
    ) -> None:
        cid = packet.cid
        assert cid is not None
        if cid == CID_ATT:
            key = (conn.id, cid)
            bearer = self._bearers.get(key)
            if bearer is None:
                # the default holds only where the whole link is in the capture
                seen = not conn.inferred and not conn.missed_events
                source = "default" if seen else MTU_UNSEEN
                bearer = self._bearers[key] = Bearer(conn.id, cid, LE_DEFAULT_MTU, False, source)
                self._connections.add_bearer(conn, bearer)
        else:
            # a dynamic channel has a CID at each end: one bearer for the pair
            channel = packet.channel
            if channel is None:
                return
            key = (conn.id, channel.pair[0])
            bearer = self._bearers.get(key)
            if bearer is None:
                eatt = channel.credit_based
                mtu = channel.att_mtu if eatt else max(channel.att_mtu, BREDR_DEFAULT_MTU)
                bearer = self._bearers[key] = Bearer(conn.id, channel.pair[0], mtu, eatt, "channel")
                self._connections.add_bearer(conn, bearer)
        if frame_direction_unknown:
            bearer.guessed_sides = True
        side = SIDE_OF[packet.direction]
        frame, ts = packet.frame, packet.ts_us
        if not isinstance(pdu, AttCut):  # a cut answer's values are unknown
            self._gatt.observe_pdu(conn, side, pdu, frame, ts, bearer.cid)
        unreadable = self._unreadable.get(conn.id, 0)
        unseen = conn.missed_events + unreadable + self._missed.get(conn.id, 0)  # gaps
        self._att.feed(bearer, side, pdu, frame, ts, packet.pdu_length, unseen, unreadable)

    def _on_transaction(self, txn: Transaction) -> None:
        names = self._gatt.observe_transaction(txn)  # learns from it, names and decodes it
        if names:
            txn = msgspec.structs.replace(txn, **names)
        if txn.kind == "exchange_mtu" and txn.outcome == "ok":
            self._connections.note_mtu(txn)
        self._latency.add(txn)
        if self.retain:
            self._transactions.append(txn)
        self._events.append(txn)

    def _on_violation(self, found: Violation) -> None:
        if self.retain:
            self.violations.append(found)
        self._events.append(found)

    def _flush(self) -> list[Event]:
        opened, closed = self._connections.take_changes()
        for conn in closed:  # its record holds its latency and health: their state goes
            self._latency.close(conn.id)
            self._acl_flow.close(conn.id)
            self._credits.close(conn.id)
            for key in [k for k in self._bearers if k[0] == conn.id]:
                self._att.close_bearer(self._bearers.pop(key))
        events: list[Event] = [*opened, *self._events, *closed]
        self._events = []
        return events

    # -- queries ------------------------------------------------------------------------

    @property
    def limits(self) -> list[str]:
        """What the analysis counted but did not keep, because hostile or very long input
        reached one of the bounds that keep memory flat (each named in its module)."""
        found = []
        if self._advertisers.unkept:
            found.append(
                f"more than {MAX_DEVICES:,} devices advertised: {self._advertisers.unkept:,} "
                "reports of further devices were counted, not kept"
            )
        if self._connections.unkept:
            found.append(
                f"more than {MAX_CONNECTIONS:,} connections: {self._connections.unkept:,} "
                "more were analysed but are not listed"
            )
        if self._health.series_dropped:
            found.append(
                f"more than {self._health.series_kept:,} links ended: the time series of "
                f"the {self._health.series_dropped:,} that sent least were exported as they "
                "ended, not kept"
            )
        for conn in self._connections.all:
            if conn.timeline_dropped:
                found.append(
                    f"connection {conn.id}: {conn.timeline_dropped:,} timeline entries past "
                    f"{MAX_TIMELINE:,} were counted, not kept"
                )
        return found

    @property
    def connections(self) -> list[Connection]:
        """A record of every connection so far (kept: see `limits`), as it is now."""
        tracker = self._connections
        return [tracker.snapshot(conn) for conn in tracker.all]

    @property
    def connection_count(self) -> int:
        """How many connections `connections` lists."""
        return len(self._connections.all)

    def connection(self, conn_id: str) -> Connection | None:
        """A record of one connection (its id) as it is now."""
        conn = self._connections.get(conn_id)
        return self._connections.snapshot(conn) if conn is not None else None

    def address_of(self, conn_id: str, side: str) -> str | None:
        """The address of one end of a connection, as far as the capture has told it."""
        conn = self._connections.get(conn_id)
        return conn.address_of(side) if conn is not None else None

    def transactions(self, connection: str | None = None) -> list[Transaction]:
        """Completed transactions, of one connection (its id) or of all."""
        if connection is None:
            return list(self._transactions)
        return [t for t in self._transactions if t.connection == connection]

    def gatt(self, device: str) -> GattDatabase | None:
        """The GATT database of a server device: its address, "local" (the HCI log's own
        host before its address is known) or "<connection id>/<side>"."""
        self._gatt.resolve_all()
        return self._gatt.get(device)

    def gatt_for(self, connection: str, server_side: str) -> GattDatabase | None:
        """The database of the server at one side ("local", "peripheral" ...) of a
        connection (its id)."""
        return self._gatt.for_connection(connection, server_side)

    @property
    def advertisers(self) -> list[Advertiser]:
        """Devices heard advertising (air adverts, HCI advertising reports), in the order
        they were first heard."""
        self._advertisers.resolve_all()
        return list(self._advertisers.devices.values())

    @property
    def gatt_databases(self) -> dict[str, GattDatabase]:
        """Every server device's GATT database, by device key."""
        self._gatt.resolve_all()
        return dict(self._gatt.all)

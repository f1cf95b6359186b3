"""The link-health tracker: fed each connection's traffic and news by the analyzer, it keeps
per link what parameters.py, procedures.py, air_events.py and traffic.py work out, and
makes the `LinkHealth` record of a link on demand (cached until the link's next packet)."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

import msgspec

from attscope.capture.frame import Frame, SnifferInfo
from attscope.dissector.analysis.analysis_records import (
    CENTRAL,
    MTU_UNSEEN,
    UNKNOWN_SIDE,
    Violation,
)
from attscope.dissector.analysis.connections import SIDE_OF, LiveConnection
from attscope.dissector.analysis.health.air_events import AirEventStats
from attscope.dissector.analysis.health.parameters import ParameterState
from attscope.dissector.analysis.health.procedures import ProcedureChecker
from attscope.dissector.analysis.health.records import (
    Ending,
    HostLatency,
    LastPacket,
    LinkHealth,
    Procedure,
)
from attscope.dissector.analysis.health.traffic import NOTIFICATION, WRITE_COMMAND, TrafficSeries
from attscope.dissector.decoding import hci_events as ev
from attscope.dissector.decoding import ll_control as llc
from attscope.dissector.decoding.att_pdus import (
    ATT_PDUS,
    HandleValueNotification,
    MultipleHandleValueNotification,
    SignedWriteCommand,
    WriteCommand,
)
from attscope.dissector.decoding.decoder import Packet
from attscope.dissector.decoding.hci_acl import AclHeader
from attscope.dissector.decoding.hci_commands import Disconnect, HciCommand
from attscope.dissector.decoding.hci_names import error_name
from attscope.dissector.decoding.ll_adv import AdvDirectInd, AdvInd, ConnectInd, used_channels
from attscope.dissector.decoding.ll_data import DataHeader, LlEncrypted, LlPacket
from attscope.dissector.decoding.ll_encryption import LinkSecurity

MAX_ADVERTISERS = 4096  # connectable advertisers whose ChSel bit is remembered
# closed links whose time series are kept (every link's is exported when it ends), the
# busiest; the others' records keep their totals, not their series: memory stays flat
MAX_SERIES_KEPT = 128
_ATT = frozenset(ATT_PDUS.values())  # every ATT PDU record class
# ATT PDUs the traffic series counts apart (traffic.NOTIFICATION, traffic.WRITE_COMMAND)
_ATT_KIND: dict[type, int] = {
    HandleValueNotification: NOTIFICATION, MultipleHandleValueNotification: NOTIFICATION,
    WriteCommand: WRITE_COMMAND, SignedWriteCommand: WRITE_COMMAND,
}  # fmt: skip
_NO_SNIFFER = SnifferInfo()
CONNECTION_TIMEOUT = 0x08  # the supervision timeout's error code (Vol 1 Part F 2.8)
OPCODE_READ_KEY_SIZE = 0x1408  # HCI_Read_Encryption_Key_Size (Vol 4 Part E 7.5.7)

HostLatencyOf = Callable[[str], HostLatency | None]
Note = Callable[[LiveConnection, Packet, str, str], None]


class _Link:
    __slots__ = ("air", "disconnect_asked", "end_code", "end_frame", "interval_us",
                 "params", "procedures", "said", "terminated_by", "traffic", "version")  # fmt: skip

    def __init__(self, conn_id: str, report: Callable[[Violation], None]) -> None:
        self.params = ParameterState()
        self.procedures = ProcedureChecker(conn_id, report)
        self.air: AirEventStats | None = None
        self.traffic = TrafficSeries()
        self.interval_us: int | None = None  # air: the interval an update replaces
        self.terminated_by: str | None = None  # air: who sent LL_TERMINATE_IND
        self.end_code: int | None = None  # HCI: the Disconnection Complete's reason
        self.end_frame: int | None = None
        self.disconnect_asked: int | None = None  # HCI: the host's Disconnect command frame
        self.version = 0  # counts the news (not the traffic), for the record's cache
        self.said: tuple[tuple[int, int, int, int], LinkHealth] | None = None


class HealthTracker:
    """Link health of every connection."""

    def __init__(self, report: Callable[[Violation], None], note: Note,
                 host_latency: HostLatencyOf | None = None) -> None:  # fmt: skip
        self._report = report
        self._note = note  # an entry on the connection's timeline
        self._host_latency = host_latency
        self._links: dict[str, _Link] = {}
        # a link's last record once it closed: its working state is dropped, so the
        # memory a capture costs does not grow with the links it held
        self._final: dict[str, LinkHealth] = {}
        self.series_kept = MAX_SERIES_KEPT
        self.series_dropped = 0  # closed links past it
        self._with_series: list[tuple[int, int, str]] = []  # heap: packets, order, link
        self._ch_sel: dict[str, bool] = {}  # connectable advertiser -> its ChSel bit

    def _link(self, conn: LiveConnection) -> _Link:
        link = self._links.get(conn.id)
        if link is None:
            link = self._links[conn.id] = _Link(conn.id, self._report)
        return link

    # -- feeding --------------------------------------------------------------------------

    def advert(self, packet: Packet, pdu: Any, conn: LiveConnection | None, frame: Frame) -> None:
        """An advertising PDU: a connectable one's ChSel bit, or the CONNECT_IND that
        opened `conn`."""
        if isinstance(pdu, ConnectInd):
            if conn is None:
                return
            link = self._link(conn)
            sniffer = frame.sniffer
            primary = sniffer is None or sniffer.channel is None or sniffer.channel >= 37
            link.params.connect_ind(pdu, self._ch_sel.get(pdu.adv_a.addr), primary)
            link.interval_us = pdu.ll_data.interval * 1250
        elif isinstance(pdu, AdvInd | AdvDirectInd):
            chosen = self._ch_sel
            if len(chosen) >= MAX_ADVERTISERS and pdu.adv_a.addr not in chosen:
                del chosen[next(iter(chosen))]
            chosen[pdu.adv_a.addr] = pdu.ch_sel

    def traffic(self, conn: LiveConnection, packet: Packet, frame: Frame) -> None:
        """A packet of the link's own traffic (air: every packet; HCI: ACL data). This
        runs for most frames: type lookups, no isinstance chains."""
        link = self._links.get(conn.id)
        if link is None:
            link = self._link(conn)
        layers = packet.layers
        record: Any = layers[0] if layers else None
        kind = type(record)
        if kind is AclHeader:
            pdu = layers[-1]
            if packet.cid is not None and type(pdu) in _ATT:
                att, att_kind = packet.pdu_length, _ATT_KIND.get(type(pdu), 0)
            else:
                att = att_kind = 0
            link.traffic.add(SIDE_OF[packet.direction], packet.ts_us, record.length, att,
                             att_kind, None, packet.frame, pdu)  # fmt: skip
        elif kind is LlPacket:
            sender = UNKNOWN_SIDE if packet.side_guessed else SIDE_OF[packet.direction]
            self._air(conn, link, packet, frame, record, sender)

    def _air(self, conn: LiveConnection, link: _Link, packet: Packet, frame: Frame,
             ll: LlPacket, sender: str) -> None:  # fmt: skip
        # a record with no sniffer fields (link type 251) says nothing a sniffer measures
        sniffer = frame.sniffer or _NO_SNIFFER
        air = link.air
        if air is None:
            air = link.air = AirEventStats()
        header = ll.header
        length = header.length if type(header) is DataHeader else 0
        retransmitted = packet.retransmitted and length > 0
        if not air.packet(sniffer, packet.frame, packet.ts_us, retransmitted,
                          packet.missed_before, frame.bad_time):  # fmt: skip
            return  # damaged: nothing it says is sure
        ts = packet.ts_us
        checker = link.procedures
        counter = sniffer.event_counter if sniffer.protover is not None else None
        central = None if sender == UNKNOWN_SIDE else sender == CENTRAL
        phy = sniffer.phy if sniffer.protover is not None and sniffer.protover >= 2 else None
        checker.packet(ts, counter, central, sniffer.channel, phy, packet.frame)
        checker.tick(ts, conn.missed_events)
        pdu = ll.pdu
        if type(pdu) is LlEncrypted:
            checker.unreadable()
        if packet.retransmitted:
            link.traffic.seen(sender, ts, packet.frame, pdu)
            return  # sent before: not new data, not a new procedure
        if isinstance(pdu, llc.LlControlPdu):
            self._control(conn, link, packet, pdu, sender, counter)
        pdu_type = type(packet.pdu)
        att = packet.pdu_length if packet.cid is not None and pdu_type in _ATT else 0
        link.traffic.add(sender, ts, length, att, _ATT_KIND.get(pdu_type, 0), sniffer.rssi,
                         packet.frame, pdu)  # fmt: skip

    def _control(self, conn: LiveConnection, link: _Link, packet: Packet, pdu: Any,
                 sender: str, counter: int | None) -> None:  # fmt: skip
        params = link.params
        old: Any = None
        if isinstance(pdu, llc.ConnectionUpdateInd):
            old, link.interval_us = link.interval_us, pdu.interval * 1250
        elif isinstance(pdu, llc.ChannelMapInd):
            chm = params.channel_map
            old = frozenset(used_channels(chm)) if chm else None
            self._note(conn, packet, "channel_map",
                       f"{len(pdu.channels)} data channels from instant {pdu.instant}")  # fmt: skip
        elif isinstance(pdu, llc.TerminateInd):
            link.terminated_by = sender
        link.procedures.control(pdu, sender, packet.frame, packet.ts_us, counter,
                                conn.missed_events, old)  # fmt: skip
        params.control(pdu, sender)

    def news(self, conn: LiveConnection, packet: Packet) -> None:
        """An HCI command or event about the link."""
        record = packet.layers[0] if packet.layers else None
        link = self._link(conn)
        link.version += 1
        if isinstance(record, HciCommand):
            if isinstance(record, Disconnect):
                link.disconnect_asked = packet.frame
            link.procedures.hci_command(record)
            return
        if isinstance(record, ev.DisconnectionComplete) and record.status == 0:
            link.end_code, link.end_frame = record.reason, packet.frame
        said = link.params.hci_event(record)
        if said is not None:
            self._note(conn, packet, "channel_selection", said)
        link.procedures.hci_event(record, packet.frame, packet.ts_us)

    def key_size(self, conn: LiveConnection, size: int) -> None:
        """HCI: Read Encryption Key Size answered for the link."""
        link = self._link(conn)
        link.version += 1
        link.params.key_size = size

    # -- the record -----------------------------------------------------------------------

    def record(self, conn: LiveConnection, security: LinkSecurity | None, clock_us: int,
               closing: bool = False) -> LinkHealth:  # fmt: skip
        """The link's health now: `security` is what its security tracker says, `clock_us`
        the capture's time now, `closing` that the link (or the capture) ended, so what
        is pending cannot be seen any more."""
        final = self._final.get(conn.id)
        if final is not None:
            return final
        link = self._link(conn)
        if closing:
            link.version += 1
            link.procedures.finish()
        said = link.said
        air = link.air.packets if link.air is not None else 0
        state = (link.version, link.traffic.packets, air, clock_us)  # what the record is made of
        if said is not None and said[0] == state:
            return said[1]
        params = link.params
        if security is not None:
            params.encrypted = security.encrypted or params.encrypted
            pairing = security.pairing
            if (
                params.key_size is None
                and security.encrypted
                and pairing is not None
                and (pairing.failed is None)
            ):
                params.key_size = pairing.key_size
        mtu, known = _mtu(conn)
        timing = conn.parameters
        health = LinkHealth(
            parameters=params.record(timing, mtu, known),
            procedures=tuple(sorted(link.procedures.procedures, key=_started)),
            procedures_dropped=link.procedures.dropped,
            air=link.air.record(timing.get("supervision_timeout_ms")) if link.air else None,
            sides=link.traffic.totals(),
            series_start_us=link.traffic.start_us,
            series_step_us=link.traffic.step_us,
            series=link.traffic.series(),
            host_latency=self._host_latency(conn.id) if self._host_latency else None,
            ending=_ending(conn, link, clock_us),
        )
        if closing:  # the record handed out now keeps its series; the one kept may not
            self._final[conn.id] = health
            del self._links[conn.id]
            if health.series:
                self._keep_series(conn.id, link.traffic.packets)
        else:
            link.said = (state, health)
        return health

    def _keep_series(self, conn_id: str, packets: int) -> None:
        """A closed link's series is kept; past `series_kept` links, the series of the
        link that sent the fewest packets goes (the busiest are the ones worth a chart)."""
        heapq.heappush(self._with_series, (packets, len(self._final), conn_id))
        if len(self._with_series) > self.series_kept:
            _, _, dropped = heapq.heappop(self._with_series)
            self._final[dropped] = msgspec.structs.replace(self._final[dropped], series=())
            self.series_dropped += 1


def _ending(conn: LiveConnection, link: _Link, clock_us: int) -> Ending:
    """How the link ended, or how it stands at `clock_us` (the capture's time now)."""
    end = conn.end_us
    last = tuple(
        LastPacket(side, frame, ts, _summary(record))
        for side, frame, ts, record in link.traffic.last_packets()
    )
    stop = end if end is not None else clock_us
    latest = max((p.ts_us for p in last if p.ts_us <= stop), default=None)
    silence = stop - latest if latest is not None else None
    timeout_ms = conn.parameters.get("supervision_timeout_ms")
    reached = None
    if silence is not None and timeout_ms:
        reached = silence >= timeout_ms * 1000
    verdict = _verdict(conn, link, silence, timeout_ms, reached)
    frame = link.end_frame if link.end_frame is not None else (
        conn.last_frame if end is not None else None)  # fmt: skip
    return Ending(conn.disconnect_reason, frame, last, silence, reached, verdict)


def _verdict(conn: LiveConnection, link: _Link, silence: int | None, timeout_ms: int | None,
             reached: bool | None) -> str:  # fmt: skip
    """Why the link ended, in words, saying what the capture cannot tell."""
    quiet = f"{silence / 1e6:.3f} s" if silence is not None else "?"
    timeout = f"{timeout_ms / 1000:g} s" if timeout_ms else "not in the capture"
    if link.terminated_by is not None:
        sender = link.terminated_by
        by = "a side the capture does not show" if sender == UNKNOWN_SIDE else f"the {sender}"
        return f"ended by LL_TERMINATE_IND from {by}: {conn.disconnect_reason}"
    if link.end_code is not None:
        reason = error_name(link.end_code)
        if link.end_code == CONNECTION_TIMEOUT:
            return (f"supervision timeout ({timeout}): the controller heard nothing valid "
                    f"from the peer for that long; the last data of the link was {quiet} "
                    "before")  # fmt: skip
        if link.disconnect_asked is not None:
            return f"the local host asked to disconnect (frame {link.disconnect_asked}): {reason}"
        return f"disconnected: {reason}"
    if conn.end_us is not None:
        return f"the capture shows no end of its own: {conn.disconnect_reason}"
    if conn.access_address is not None and reached:
        return (f"no packet of the link in the last {quiet} of the capture, longer than its "
                f"supervision timeout ({timeout}): the link was lost, or the sniffer lost "
                "it; the capture cannot tell which")  # fmt: skip
    return f"still open when the capture ended (last packet {quiet} before its end)"


def _started(procedure: Procedure) -> tuple[int, int]:
    return procedure.frame, procedure.ts_us


def _mtu(conn: LiveConnection) -> tuple[int | None, bool]:
    """The largest ATT_MTU of the link's bearers, and whether the capture proves it."""
    best: int | None = None
    known = True
    for bearer in conn.bearers:
        info = bearer.info()
        if info.mtu is not None:
            value, proven = info.mtu, info.mtu_source != MTU_UNSEEN
        else:
            value, proven = info.largest_pdu, False
        if value and (best is None or value > best):
            best, known = value, proven
    if best is None and not conn.inferred and conn.transport in ("le", "le air"):
        return 23, True  # seen from the start, no exchange: the LE default
    return best, known


def _summary(record: Any) -> str:
    """A record's one-line summary (every PDU record has one)."""
    return str(record.summary()) if hasattr(record, "summary") else type(record).__name__
